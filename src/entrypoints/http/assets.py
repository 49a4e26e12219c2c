"""Files served from memory: each read once, tagged by a hash of its bytes, and compressed once
per content coding (in a thread, on its first request in that coding), never per request.

``AssetSet`` serves ``/static`` (``static_files.py``) and the studio (``studio/site.py``). A
file's answer carries the ETag of the coding sent (``encoding.coded_etag``), ``Vary:
Accept-Encoding`` when its type compresses, and a ``304`` on a matching ``If-None-Match``;
``HEAD`` gets the headers without the body.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from litestar import Request, Response

from entrypoints.http.encoding import (
    IDENTITY,
    Levels,
    Negotiator,
    coded_etag,
    encode,
    etag_matches,
)

TYPES = {
    # Litestar appends "; charset=utf-8" to text types itself.
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
}
COMPRESSIBLE = frozenset(
    {"text/html", "text/javascript", "text/css", "text/plain", "application/json"}
    | {"image/svg+xml", "application/manifest+json"}
)
"""Types worth compressing; fonts (woff2 is brotli inside) and images are sent as they are."""
VERSION_CHARS = 16
"""Hex digits of the content hash in a versioned URL (``?v=``)."""


@attrs.frozen
class Asset:
    body: bytes
    media_type: str
    digest: str
    """The sha256 of the bytes, in hex."""

    @property
    def etag(self) -> bytes:
        return f'"{self.digest[:32]}"'.encode()

    @property
    def version(self) -> str:
        return self.digest[:VERSION_CHARS]

    @property
    def compressible(self) -> bool:
        return self.media_type in COMPRESSIBLE


class AssetSet:
    """The files under ``root`` by their path relative to it (``fonts/a.woff2``); dot files
    and anything outside ``root`` are not served."""

    def __init__(self, root: Path) -> None:
        self._names = {
            path.relative_to(root).as_posix(): path
            for path in sorted(root.rglob("*"))
            if path.is_file() and not any(p.startswith(".") for p in path.relative_to(root).parts)
        }
        self._assets: dict[str, Asset] = {}
        self._coded: dict[tuple[str, Levels], dict[str, bytes]] = {}
        """By the file's digest and the levels."""
        self._lock = threading.Lock()
        self._negotiator = Negotiator()

    def names(self) -> list[str]:
        return list(self._names)

    def get(self, name: str) -> Asset | None:
        asset = self._assets.get(name)
        if asset is None:
            path = self._names.get(name)
            if path is None:
                return None
            body = path.read_bytes()
            media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
            asset = Asset(body, media_type or "application/octet-stream", _digest(body))
            self._assets[name] = asset
        return asset

    def coded(self, asset: Asset, levels: Levels) -> dict[str, bytes]:
        """The file in each coding that makes it smaller, made on the first call (in a thread:
        the viewers' vendored scripts take a second); later calls read what was kept."""
        with self._lock:
            found = self._coded.get((asset.digest, levels))
            if found is None:
                found = self._coded[(asset.digest, levels)] = encode(asset.body, levels)
            return found

    async def respond(
        self,
        asset: Asset,
        request: Request[Any, Any, Any],
        levels: Levels,
        *,
        cache_control: str,
        headers: Mapping[str, str] | None = None,
    ) -> Response[bytes]:
        """The answer to a ``GET`` or ``HEAD`` of ``asset``."""
        out = {**(headers or {}), "Cache-Control": cache_control}
        coding, body = IDENTITY, asset.body
        if asset.compressible and len(asset.body) >= levels.min_size:
            out["Vary"] = "Accept-Encoding"
            accept = request.headers.get("accept-encoding")
            wanted = self._negotiator.choose(accept.encode("latin-1") if accept else None)
            if wanted != IDENTITY:
                coded = self._coded.get((asset.digest, levels))
                if coded is None:
                    coded = await asyncio.to_thread(self.coded, asset, levels)
                if wanted in coded:
                    coding, body = wanted, coded[wanted]
                    out["Content-Encoding"] = coding
        etag = coded_etag(asset.etag, coding)
        out["ETag"] = etag.decode()
        if_none_match = request.headers.get("if-none-match")
        if if_none_match and etag_matches(if_none_match.encode("latin-1"), etag):
            out.pop("Content-Encoding", None)
            return Response(b"", status_code=304, headers=out)
        if request.method == "HEAD":
            out["content-length"] = str(len(body))
            body = b""
        return Response(body, media_type=asset.media_type, headers=out)


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
