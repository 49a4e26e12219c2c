"""Vendors files of npm packages at pinned versions, checked against the registry's integrity.

Each manifest (``vendor.json``) names packages by name and version with the ``integrity`` the
npm registry publishes for that version's tarball, and the files to take from it with their
sha256. ``python tools/vendor_npm.py MANIFEST`` fetches each tarball with ``npm pack``,
refuses it unless its sha512 is the pinned integrity, and writes the listed files (and the
package's licence) beside the manifest; ``--pin`` records the files' sha256 after a version
change. The tests check the committed files against those sha256 without any network.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(name: str, version: str, into: Path) -> bytes:
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("npm is needed to fetch the tarballs (apt-get install npm)")
    # The names and versions come from the committed manifest.
    out = subprocess.run(  # noqa: S603
        [npm, "pack", f"{name}@{version}", "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    filename: str = json.loads(out.stdout)[0]["filename"]
    return (into / filename).read_bytes()


def vendor(manifest_path: Path, pin: bool) -> None:
    manifest = json.loads(manifest_path.read_text())
    root = manifest_path.parent
    for package in manifest["packages"]:
        name, version = package["name"], package["version"]
        with tempfile.TemporaryDirectory() as tmp:
            tarball = fetch(name, version, Path(tmp))
        if integrity(tarball) != package["integrity"]:
            sys.exit(f"{name}@{version}: the tarball does not match the pinned integrity")
        target = root / package["into"]
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            for source in package["files"]:
                member = archive.extractfile(f"package/{source}")
                if member is None:
                    sys.exit(f"{name}@{version}: no {source} in the tarball")
                data = member.read()
                if pin:
                    package["files"][source] = sha256(data)
                elif sha256(data) != package["files"][source]:
                    sys.exit(f"{name}@{version}: {source} is not the pinned file")
                (target / Path(source).name).write_bytes(data)
        print(f"{name}@{version}: {len(package['files'])} files into {target}")
    if pin:
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifests", nargs="+", type=Path)
    parser.add_argument("--pin", action="store_true", help="record the files' sha256")
    args = parser.parse_args()
    for manifest in args.manifests:
        vendor(manifest, args.pin)


if __name__ == "__main__":
    main()
