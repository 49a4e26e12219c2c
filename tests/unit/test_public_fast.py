"""The cache layer in front of the public page, driven as plain ASGI over a fake handler."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from typing import Any

import brotli
import pytest
from dishka import AsyncContainer, Provider, Scope, make_async_container, provide

from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.http import encoding
from entrypoints.http.fast.public_page import EXPIRES_KEY, PublicPageFastPath
from entrypoints.runtime.guest_opens import GuestOpens
from entrypoints.runtime.page_cache import PageCache
from tests.unit.accounts_harness import ManualClock

PADDING = "가나다라마바사 " * 200
"""Enough text that the answer is worth compressing."""


class Handler:
    """Answers like the page handler; holds each answer until ``release`` is set."""

    def __init__(self, status: int = 200, padding: str = "") -> None:
        self.status = status
        self.padding = padding
        self.calls: list[dict[str, Any]] = []
        self.called = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.expires: float | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls.append(scope)
        self.called.set()
        await self.release.wait()
        if self.expires is not None:
            scope["state"][EXPIRES_KEY] = self.expires
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"x-request-id", b"r1")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"<p>", "more_body": True})
        tail = f"{len(self.calls)}</p>{self.padding}".encode()
        await send({"type": "http.response.body", "body": tail})


class Wiring(Provider):
    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock

    @provide(scope=Scope.APP)
    def cache(self) -> PageCache:
        return PageCache(10, self.clock)

    @provide(scope=Scope.APP)
    def opens(self, container: AsyncContainer) -> GuestOpens:
        return GuestOpens(container)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def container(clock: ManualClock) -> AsyncIterator[AsyncContainer]:
    made = make_async_container(Wiring(clock))
    yield made
    await made.close()


def layer(handler: Handler, container: AsyncContainer) -> PublicPageFastPath:
    settings = evolve(
        Settings(), public_base_url="https://m.example", public_max_age=60, public_cache_ttl=300
    )
    return PublicPageFastPath(handler, container, settings)


async def call(
    app: PublicPageFastPath, path: str, method: str = "GET", **headers: str
) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
        "state": {},
    }
    await app(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


async def test_concurrent_misses_render_once_and_share_the_answer(
    container: AsyncContainer,
) -> None:
    handler = Handler()
    handler.release.clear()
    app = layer(handler, container)
    waiting = [asyncio.create_task(call(app, "/i/a-page")) for _ in range(20)]
    await handler.called.wait()
    await asyncio.sleep(0)  # the other requests reach the rendering in flight
    handler.release.set()
    answers = await asyncio.gather(*waiting)

    assert len(handler.calls) == 1
    assert {body for _, _, body in answers} == {b"<p>1</p>"}
    status, headers, _ = answers[0]
    assert status == 200
    assert headers[b"cache-control"] == b"public, max-age=60"
    assert headers[b"content-length"] == b"8"
    assert b"x-request-id" not in headers  # per-request headers are not stored
    assert (await call(app, "/i/a-page"))[2] == b"<p>1</p>"
    assert len(handler.calls) == 1


async def test_the_handler_sees_a_plain_get_and_conditional_requests_are_answered_here(
    container: AsyncContainer,
) -> None:
    handler = Handler()
    app = layer(handler, container)
    status, headers, body = await call(app, "/i/a-page", "HEAD", if_none_match='"x"')
    assert (status, body) == (200, b"")
    assert handler.calls[0]["method"] == "GET"
    assert handler.calls[0]["headers"] == []
    etag = headers[b"etag"].decode()
    status, headers, body = await call(app, "/i/a-page", if_none_match=f'W/{etag}, "y"')
    assert (status, body) == (304, b"")
    assert headers[b"etag"] == etag.encode()
    assert b"content-type" not in headers


async def test_only_a_complete_200_is_stored(container: AsyncContainer) -> None:
    handler = Handler(status=404)
    app = layer(handler, container)
    assert (await call(app, "/i/gone"))[0] == 404
    assert (await call(app, "/i/gone"))[0] == 404
    assert len(handler.calls) == 2
    for path in ("/i/a-page/calendar.ics", "/i/", "/api/public/pages/a/guestbook", "/health"):
        await call(app, path)
    assert len(handler.calls) == 6


async def test_the_handlers_expiry_and_invalidations_are_followed(
    container: AsyncContainer, clock: ManualClock
) -> None:
    handler = Handler()
    app = layer(handler, container)
    handler.expires = clock.now().timestamp() - 1  # already past: rendered again next time
    await call(app, "/api/public/pages/a-page")
    handler.expires = None
    await call(app, "/api/public/pages/a-page")
    await call(app, "/api/public/pages/a-page")
    assert len(handler.calls) == 2
    (await container.get(PageCache)).drop(["a-page"])
    assert (await call(app, "/api/public/pages/a-page"))[2] == b"<p>3</p>"


async def test_entries_expire_on_the_injected_clock(
    container: AsyncContainer, clock: ManualClock
) -> None:
    handler = Handler()
    app = layer(handler, container)
    await call(app, "/i/a-page")
    clock.advance(299)
    assert (await call(app, "/i/a-page"))[2] == b"<p>1</p>"
    clock.advance(1)  # the cache's 300 s are up on the clock the app is given
    assert (await call(app, "/i/a-page"))[2] == b"<p>2</p>"
    clock.advance(300)
    handler.expires = clock.now().timestamp() + 10  # the page itself changes sooner
    assert (await call(app, "/i/a-page"))[2] == b"<p>3</p>"
    clock.advance(9)
    assert (await call(app, "/i/a-page"))[2] == b"<p>3</p>"
    clock.advance(1)
    assert (await call(app, "/i/a-page"))[2] == b"<p>4</p>"


def decoded(headers: dict[bytes, bytes], body: bytes) -> bytes:
    coding = headers.get(b"content-encoding")
    if coding == b"br":
        return bytes(brotli.decompress(body))
    if coding == b"gzip":
        return gzip.decompress(body)
    assert coding is None
    return body


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip, deflate, br, zstd", b"br"),
        ("gzip, deflate", b"gzip"),
        ("br;q=0.5, gzip", b"gzip"),
        ("*", b"br"),
        ("br;q=0, gzip;q=0", None),
        ("identity", None),
        (None, None),
    ],
)
async def test_the_coding_follows_accept_encoding_with_its_own_etag(
    container: AsyncContainer, accept: str | None, coding: bytes | None
) -> None:
    app = layer(Handler(padding=PADDING), container)
    plain_headers = (await call(app, "/i/a-page"))[1]
    asked = {"accept_encoding": accept} if accept is not None else {}
    status, headers, body = await call(app, "/i/a-page", **asked)
    assert status == 200
    assert headers.get(b"content-encoding") == coding
    assert headers[b"vary"] == b"Accept-Encoding"
    assert headers[b"content-length"] == str(len(body)).encode()
    assert decoded(headers, body) == f"<p>1</p>{PADDING}".encode()
    suffix = {b"br": b'-br"', b"gzip": b'-gz"', None: b'"'}[coding]
    assert headers[b"etag"] == plain_headers[b"etag"][:-1] + suffix
    if coding is not None:
        assert len(body) < len(PADDING.encode()) // 4


async def test_a_304_and_a_head_answer_per_coding(container: AsyncContainer) -> None:
    app = layer(Handler(padding=PADDING), container)
    tags = {}
    for accept in ("br", "gzip", "identity"):
        status, headers, body = await call(app, "/i/a-page", "HEAD", accept_encoding=accept)
        assert (status, body) == (200, b"")
        full = (await call(app, "/i/a-page", accept_encoding=accept))[2]
        assert headers[b"content-length"] == str(len(full)).encode()
        tags[accept] = headers[b"etag"].decode()
    assert len(set(tags.values())) == 3
    for accept, tag in tags.items():
        status, headers, body = await call(
            app, "/i/a-page", accept_encoding=accept, if_none_match=tag
        )
        assert (status, body) == (304, b"")
        assert headers[b"etag"] == tag.encode()
        assert headers[b"vary"] == b"Accept-Encoding"
        assert b"content-encoding" not in headers
    # Another coding's tag names other bytes: the whole answer, in the coding asked for.
    status, headers, _ = await call(
        app, "/i/a-page", accept_encoding="br", if_none_match=tags["gzip"]
    )
    assert (status, headers[b"content-encoding"]) == (200, b"br")


async def test_each_version_is_compressed_once_not_per_request(
    container: AsyncContainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[int] = []
    real = encoding.compress

    def counted(body: bytes, coding: str, levels: encoding.Levels) -> bytes:
        made.append(len(body))
        return real(body, coding, levels)

    monkeypatch.setattr(encoding, "compress", counted)
    app = layer(Handler(padding=PADDING), container)
    for accept in ("br", "gzip", "br", "gzip, br", "identity") * 4:
        await call(app, "/i/a-page", accept_encoding=accept)
    assert len(made) == len(encoding.OFFERED)
    (await container.get(PageCache)).drop(["a-page"])
    await call(app, "/i/a-page", accept_encoding="br")
    assert len(made) == 2 * len(encoding.OFFERED)


async def test_a_small_answer_is_sent_as_it_is(container: AsyncContainer) -> None:
    app = layer(Handler(), container)
    status, headers, body = await call(app, "/i/a-page", accept_encoding="br, gzip")
    assert (status, body) == (200, b"<p>1</p>")
    assert b"content-encoding" not in headers
    assert b"vary" not in headers
