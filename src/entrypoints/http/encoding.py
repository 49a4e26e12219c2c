"""Content codings (RFC 9110 §8.4): brotli and gzip, made once per version of a body and chosen
per request from ``Accept-Encoding``.

Nothing here compresses per request: the public page's cache stores each coding beside the
plain bytes (``fast/public_page.py``), and the static and studio files are compressed on their
first request and kept (``assets.py``). Each coding gets its own entity tag, the plain one with a
suffix (``"abc"`` → ``"abc-br"``, as nginx and Apache do), so a cache never answers a ``304``
for bytes in another coding than the ones it holds.
"""

from __future__ import annotations

import gzip

import attrs
import brotli

BROTLI = "br"
GZIP = "gzip"
IDENTITY = "identity"
OFFERED = (BROTLI, GZIP)
"""The codings served, the smaller first: it wins when a client weighs both the same."""
_TAG_SUFFIX = {BROTLI: "-br", GZIP: "-gz"}
_MEMO_MAX = 64
"""Distinct ``Accept-Encoding`` values remembered; browsers send a handful."""


@attrs.frozen
class Levels:
    """How hard each coding works, and the smallest body worth compressing."""

    gzip: int = 9
    brotli: int = 11
    min_size: int = 512


def compress(body: bytes, coding: str, levels: Levels) -> bytes:
    if coding == BROTLI:
        return bytes(brotli.compress(body, quality=levels.brotli))
    # mtime=0: the same bytes give the same gzip member, so every process tags it alike.
    return gzip.compress(body, compresslevel=levels.gzip, mtime=0)


def encode(body: bytes, levels: Levels) -> dict[str, bytes]:
    """The body in each offered coding that makes it smaller; none below ``min_size``."""
    if len(body) < levels.min_size:
        return {}
    coded = {coding: compress(body, coding, levels) for coding in OFFERED}
    return {coding: data for coding, data in coded.items() if len(data) < len(body)}


def coded_etag(etag: bytes, coding: str) -> bytes:
    """``"abc"`` → ``"abc-br"``; a weak tag stays weak (``W/"abc-br"``)."""
    if coding == IDENTITY:
        return etag
    return etag[:-1] + _TAG_SUFFIX[coding].encode() + b'"'


def etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    """If-None-Match compares weakly (``W/"x"`` matches ``"x"``); ``*`` matches anything."""
    if if_none_match == etag:
        return True
    tags = {tag.strip().removeprefix(b"W/") for tag in if_none_match.split(b",")}
    return etag in tags or b"*" in tags


def merged_vary(values: list[bytes]) -> bytes:
    """One ``Vary`` value naming ``Accept-Encoding`` beside whatever the handler named."""
    names = [n.strip() for value in values for n in value.split(b",") if n.strip()]
    if not any(n.lower() == b"accept-encoding" for n in names):
        names.append(b"Accept-Encoding")
    return b", ".join(names)


def preferred(accept_encoding: bytes, offered: tuple[str, ...] = OFFERED) -> str:
    """The offered coding the client weighs highest (``q`` > 0), else ``identity``."""
    weights: dict[str, float] = {}
    for item in accept_encoding.decode("latin-1").split(","):
        name, _, params = item.partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
        name = name.strip().lower()
        weights[GZIP if name == "x-gzip" else name] = weight
    best, best_weight = IDENTITY, 0.0
    for coding in offered:
        weight = weights.get(coding, weights.get("*", 0.0))
        if weight > best_weight:
            best, best_weight = coding, weight
    return best


class Negotiator:
    """``preferred`` remembered per header value: the hot path pays a dict lookup."""

    def __init__(self, offered: tuple[str, ...] = OFFERED) -> None:
        self._offered = offered
        self._known: dict[bytes, str] = {}

    def choose(self, accept_encoding: bytes | None) -> str:
        if accept_encoding is None:
            return IDENTITY
        coding = self._known.get(accept_encoding)
        if coding is None:
            if len(self._known) >= _MEMO_MAX:
                self._known.clear()
            coding = self._known[accept_encoding] = preferred(accept_encoding, self._offered)
        return coding
