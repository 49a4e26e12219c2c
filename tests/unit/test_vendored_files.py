"""Files copied from the npm registry (``tests/vendor/vendor.json``) are exactly the published
ones: each matches the SHA-256 recorded when it was taken from its tarball, and comes with its
licence. With ``MOCHEONG_CHECK_VENDOR_TARBALLS=1`` (needs ``npm`` and the registry) the
tarball is fetched again with ``npm pack``: its integrity must be the one recorded and the file
in it the one vendored.

The studio itself vendors no library (the platform does what it needs); this is how one
would be added: ``npm pack <name>@<version>``, copy the file and its licence, record them."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

VENDOR = Path(__file__).resolve().parent.parent / "vendor"
ENTRIES: list[dict[str, Any]] = json.loads((VENDOR / "vendor.json").read_text())


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_the_vendored_file_is_the_recorded_one_with_its_licence(entry: dict[str, Any]) -> None:
    body = (VENDOR / entry["file"]).read_bytes()
    assert hashlib.sha256(body).hexdigest() == entry["sha256"]
    assert entry["version"].count(".") == 2, "pin an exact version"
    for licence in entry["licence_files"]:
        assert (VENDOR / licence).stat().st_size > 0


@pytest.mark.skipif(
    os.environ.get("MOCHEONG_CHECK_VENDOR_TARBALLS") != "1",
    reason="set MOCHEONG_CHECK_VENDOR_TARBALLS=1 to compare with the registry's tarballs",
)
@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_the_vendored_file_matches_the_published_tarball(
    entry: dict[str, Any], tmp_path: Path
) -> None:
    npm = shutil.which("npm")
    assert npm is not None, "npm is needed to fetch the tarball"
    spec = f"{entry['name']}@{entry['version']}"
    packed = subprocess.run(
        [npm, "pack", spec, "--json"], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    [info] = json.loads(packed.stdout)
    tarball = tmp_path / info["filename"]
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    assert f"sha512-{digest}" == entry["integrity"] == info["integrity"]
    with tarfile.open(tarball) as archive:
        member = archive.extractfile(entry["file_in_tarball"])
        assert member is not None
        assert member.read() == (VENDOR / entry["file"]).read_bytes()
