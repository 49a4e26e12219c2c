"""The wedding-day hot path: ``GET /i/{slug}`` and ``GET /api/public/pages/{slug}`` answered
from the in-process ``PageCache`` before routing and before dishka opens a request container.

This pure ASGI layer sits inside the pipeline middleware (request id, security headers,
metrics) and outside everything else. A hit costs a dict lookup and two ``send`` calls. A miss
goes down to the Litestar handler as a plain ``GET`` (conditional headers removed, so the
whole body comes back); a ``200`` is then stored, with a strong ``ETag`` (a hash of the bytes)
and ``Cache-Control``, and answered exactly as a hit would be. Concurrent misses of one page
wait for a single render instead of each querying the database. Other statuses pass through.

The stored entry holds the body brotli- and gzip-compressed too, made once (in a thread) when
it is stored; a request gets the coding its ``Accept-Encoding`` weighs highest, with that
coding's own ``ETag`` (``"…-br"``) and ``Vary: Accept-Encoding``. A hit never compresses.

A personal link's ``?g=<token>`` is served the same cached bytes; the opening is recorded by
``GuestOpens`` in the background.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from typing import Any, cast
from urllib.parse import parse_qs

import structlog
from dishka import AsyncContainer
from litestar import Litestar

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.encoding import (
    IDENTITY,
    Levels,
    Negotiator,
    coded_etag,
    encode,
    etag_matches,
    merged_vary,
)
from entrypoints.http.fast.raw_asgi import ASGIApp, Message, Receive, Scope, Send
from entrypoints.runtime.guest_opens import GuestOpens
from entrypoints.runtime.page_cache import CachedResponse, Headers, PageCache, Representation

log = structlog.get_logger("mocheong.public")

HTML_PREFIX = "/i/"
JSON_PREFIX = "/api/public/pages/"
ROUTE_TEMPLATES = {"html": HTML_PREFIX + "{slug}", "json": JSON_PREFIX + "{slug}"}
EXPIRES_KEY = "public_page_expires"
"""Where a handler leaves, in the ASGI scope's state, when its rendering stops being right."""
_DROPPED = frozenset(
    {
        b"content-length",
        b"etag",
        b"cache-control",
        b"x-request-id",
        b"set-cookie",
        b"date",
        b"vary",
        b"content-encoding",
    }
)
_CONDITIONAL = frozenset({b"if-none-match", b"if-modified-since"})
# Link-preview fetchers open shared links too; they are not the guest opening the invitation.
_PREVIEW_AGENTS = ("kakaotalk-scrap", "facebookexternalhit", "bot", "crawler", "spider", "preview")


def origin_of(scope: Mapping[str, Any]) -> str:
    """The scheme and host the client used, for absolute links when no base URL is set."""
    host = ""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def public_origin(settings: Settings, scope: Mapping[str, Any]) -> str:
    return settings.web.public_base_url.rstrip("/") or origin_of(scope)


class _Capture:
    """Collects a 200 answer of the inner app; passes any other answer straight on."""

    def __init__(self, send: Send, head: bool) -> None:
        self._send = send
        self._head = head
        self.headers: list[tuple[bytes, bytes]] | None = None
        self.chunks: list[bytes] = []
        self.complete = False
        self._passing = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if message["status"] == 200:
                self.headers = list(message.get("headers", ()))
                return
            self._passing = True
        elif not self._passing and message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            return
        if self._head and message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await self._send(message)


class PublicPageFastPath:
    def __init__(self, app: ASGIApp, container: AsyncContainer, settings: Settings) -> None:
        self.app = app
        self._container = container
        self._fixed_origin = settings.web.public_base_url.rstrip("/")
        self._cache_control = f"public, max-age={settings.public.max_age}".encode()
        # Cached HTML carries signed file links: it must be re-rendered well before they expire.
        self._ttl = min(settings.public.cache_ttl, settings.files.url_ttl // 2)
        public = settings.public
        self._levels = Levels(public.gzip_level, public.brotli_quality, public.compress_min)
        self._negotiator = Negotiator()
        self._cache: PageCache | None = None
        self._opens: GuestOpens | None = None
        self._flights: dict[tuple[str, str, int], asyncio.Future[CachedResponse | None]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(HTML_PREFIX):
            slug, kind = path[3:], "html"
        elif path.startswith(JSON_PREFIX):
            slug, kind = path[18:], "json"
        else:
            await self.app(scope, receive, send)
            return
        if not slug or "/" in slug:
            await self.app(scope, receive, send)
            return
        cache = self._cache or await self._resolve()
        # The router may not run: the metrics label the route themselves.
        scope["path_template"] = ROUTE_TEMPLATES[kind]
        variant = kind if self._fixed_origin else f"{kind} {origin_of(scope)}"
        if kind == "html" and scope["query_string"]:
            self._note_open(scope, slug)
        entry = cache.get(slug, variant)
        if entry is None:
            entry = await self._fill(scope, receive, send, cache, slug, variant)
            if entry is None:
                return
        await self._answer(scope, send, entry)

    async def _resolve(self) -> PageCache:
        self._opens = await self._container.get(GuestOpens)
        self._cache = await self._container.get(PageCache)
        return self._cache

    def _note_open(self, scope: Scope, slug: str) -> None:
        if scope["method"] == "HEAD":  # a link checker's, or a scraper's: no one read the page
            return
        tokens = parse_qs(scope["query_string"].decode("latin-1")).get("g")
        if not tokens or not 0 < len(tokens[0]) <= 64 or self._opens is None:
            return
        agent = next((v for k, v in scope["headers"] if k == b"user-agent"), b"").decode("latin-1")
        if any(marker in agent.lower() for marker in _PREVIEW_AGENTS):
            return
        self._opens.record(slug, tokens[0])

    async def _answer(self, scope: Scope, send: Send, entry: CachedResponse) -> None:
        if_none_match = accept_encoding = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value
            elif name == b"accept-encoding":
                accept_encoding = value
        answer = entry.plain
        if entry.coded and accept_encoding is not None:
            answer = entry.coded.get(self._negotiator.choose(accept_encoding), answer)
        if if_none_match is not None and etag_matches(if_none_match, answer.etag):
            await send(
                {"type": "http.response.start", "status": 304, "headers": answer.not_modified}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": answer.headers})
        body = b"" if scope["method"] == "HEAD" else answer.body
        await send({"type": "http.response.body", "body": body})

    async def _fill(
        self, scope: Scope, receive: Receive, send: Send, cache: PageCache, slug: str, variant: str
    ) -> CachedResponse | None:
        """The entry for a miss, rendered once however many requests wait for it; None when
        the inner app answered by itself (anything but a complete 200)."""
        ticket = cache.ticket()
        key = (slug, variant, ticket)
        flight = self._flights.get(key)
        if flight is not None:
            entry = await asyncio.shield(flight)
            if entry is not None:
                return entry
        future: asyncio.Future[CachedResponse | None] = asyncio.get_running_loop().create_future()
        self._flights[key] = future
        entry = None
        try:
            entry = await self._render(scope, receive, send, cache)
            if entry is not None:
                cache.put(slug, variant, entry, ticket)
            return entry
        finally:
            if self._flights.get(key) is future:
                del self._flights[key]
            future.set_result(entry)

    async def _render(
        self, scope: Scope, receive: Receive, send: Send, cache: PageCache
    ) -> CachedResponse | None:
        state: dict[str, Any] = scope.setdefault("state", {})
        headers = [(k, v) for k, v in scope["headers"] if k not in _CONDITIONAL]
        capture = _Capture(send, head=scope["method"] == "HEAD")
        await self.app({**scope, "method": "GET", "headers": headers}, receive, capture)
        if capture.headers is None:
            return None
        if not capture.complete:
            # Nothing was sent yet, so the pipeline still answers this with a problem.
            raise RuntimeError(f"the handler of {scope['path']} left its answer unfinished")
        body = b"".join(capture.chunks)
        # A handler's own validator is kept (the page JSON's is its version); else the bytes'.
        etag = next((v for k, v in capture.headers if k.lower() == b"etag"), None)
        if etag is None:
            etag = b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'
        kept = tuple((k, v) for k, v in capture.headers if k.lower() not in _DROPPED)
        varies = [v for k, v in capture.headers if k.lower() == b"vary"]
        # Made once per stored version, off the event loop: brotli's best quality takes tens of
        # milliseconds on a page.
        coded = {}
        if len(body) >= self._levels.min_size:
            coded = await asyncio.to_thread(encode, body, self._levels)
        vary = merged_vary(varies) if coded else b", ".join(varies)
        common = (*kept, *(((b"vary", vary),) if vary else ()))
        expires = cache.now() + self._ttl
        rendered_until = state.pop(EXPIRES_KEY, None)
        if rendered_until is not None:
            expires = min(expires, float(rendered_until))
        return CachedResponse(
            plain=self._representation(body, etag, common, IDENTITY),
            coded={
                coding: self._representation(data, etag, common, coding)
                for coding, data in coded.items()
            },
            expires_at=expires,
        )

    def _representation(
        self, body: bytes, etag: bytes, common: Headers, coding: str
    ) -> Representation:
        tag = coded_etag(etag, coding)
        validators = ((b"etag", tag), (b"cache-control", self._cache_control))
        encoding = () if coding == IDENTITY else ((b"content-encoding", coding.encode()),)
        # A browser updates its stored copy's headers from a 304: it must repeat the page's
        # CSP, or the revalidated page would get the pipeline's API policy and lose its style.
        refreshed = tuple((k, v) for k, v in common if k.lower() != b"content-type")
        return Representation(
            body=body,
            etag=tag,
            headers=(
                *common,
                *encoding,
                *validators,
                (b"content-length", str(len(body)).encode()),
            ),
            not_modified=(*refreshed, *validators),
        )


def install_public_fast_path(app: Litestar, container: AsyncContainer, settings: Settings) -> None:
    """Puts the fast path in front of dishka and the router; call it before the pipeline."""
    inner = cast(ASGIApp, app.asgi_handler)
    app.asgi_handler = cast(Any, PublicPageFastPath(inner, container, settings))
