"""Files vendored from the npm registry are exactly the pinned ones (``vendor.json`` beside
them, written by ``tools/vendor_npm.py`` after checking each tarball's published integrity)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from entrypoints.http.static_files import STATIC_DIR
from entrypoints.http.studio.site import STUDIO_FILES

MANIFESTS = [
    STATIC_DIR / "vendor" / "vendor.json",
    STUDIO_FILES / "vendor" / "vendor.json",
    Path(__file__).parent.parent / "vendor" / "vendor.json",
]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.parent.parent.name)
def test_vendored_files_match_their_pinned_sha256(manifest: Path) -> None:
    for package in json.loads(manifest.read_text())["packages"]:
        assert package["integrity"].startswith("sha512-")
        for source, digest in package["files"].items():
            path = manifest.parent / package["into"] / Path(source).name
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path
