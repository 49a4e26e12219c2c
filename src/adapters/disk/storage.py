"""Object storage in a local folder, for the embedded mode, with HMAC-signed download URLs.

Objects are written to a temporary file beside their destination and renamed into place, so
a reader never sees half a file. Keys are checked against a strict pattern before they touch
a path, and the resolved path must stay inside the root.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import IO
from urllib.parse import quote

from mocheong_core.kernel.clock import Clock

# Segments start with a letter or digit, so neither `..` nor the `.tmp-` files are keys.
_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
KEY_PATTERN = re.compile(rf"^{_SEGMENT}(?:/{_SEGMENT}){{0,7}}$")
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "heic": "image/heic",
    "pdf": "application/pdf",
}


class InvalidKey(ValueError):
    pass


def content_type_of(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


class LocalDiskObjectStorage:
    def __init__(
        self, root: Path, signing_key: bytes, clock: Clock, url_prefix: str = "/files"
    ) -> None:
        self.root = root
        self._signing_key = signing_key
        self._clock = clock
        self._url_prefix = url_prefix

    def path_of(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise InvalidKey(key)
        root = self.root.resolve()
        path = (root / key).resolve()
        if not path.is_relative_to(root):
            raise InvalidKey(key)
        return path

    async def put(self, key: str, data: bytes | IO[bytes], content_type: str) -> None:
        await asyncio.to_thread(self._write, self.path_of(key), data)

    @staticmethod
    def _write(path: Path, data: bytes | IO[bytes]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(data, bytes):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes | None:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return None

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.path_of(key).unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path_of(key).is_file)

    async def signed_url(self, key: str, expires_in: int) -> str:
        self.path_of(key)
        expires = int(self._clock.now().timestamp()) + expires_in
        return f"{self._url_prefix}/{quote(key)}?expires={expires}&sig={self._sign(key, expires)}"

    @staticmethod
    def media_type(key: str) -> str:
        return content_type_of(key)

    def verify(self, key: str, expires: str | None, sig: str | None) -> bool:
        """True when ``sig`` is this storage's signature of ``key`` and it has not expired."""
        if not expires or not sig or not expires.isdigit() or not KEY_PATTERN.match(key):
            return False
        if int(expires) < self._clock.now().timestamp():
            return False
        return hmac.compare_digest(self._sign(key, int(expires)).encode(), sig.encode())

    def _sign(self, key: str, expires: int) -> str:
        mac = hmac.new(self._signing_key, f"{key}\n{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()

    async def ping(self) -> None:
        await asyncio.to_thread(self._check_writable)

    def _check_writable(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"{self.root} is not writable")
