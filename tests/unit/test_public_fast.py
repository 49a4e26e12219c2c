"""The cache layer in front of the public page, driven as plain ASGI over a fake handler."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from dishka import AsyncContainer, Provider, Scope, make_async_container, provide

from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.http.fast.public_page import EXPIRES_KEY, PublicPageFastPath
from entrypoints.runtime.guest_opens import GuestOpens
from entrypoints.runtime.page_cache import PageCache


class Handler:
    """Answers like the page handler; holds each answer until ``release`` is set."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
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
        await send({"type": "http.response.body", "body": f"{len(self.calls)}</p>".encode()})


class Wiring(Provider):
    @provide(scope=Scope.APP)
    def cache(self) -> PageCache:
        return PageCache(10)

    @provide(scope=Scope.APP)
    def opens(self, container: AsyncContainer) -> GuestOpens:
        return GuestOpens(container)


@pytest.fixture
async def container() -> AsyncIterator[AsyncContainer]:
    made = make_async_container(Wiring())
    yield made
    await made.close()


def layer(handler: Handler, container: AsyncContainer) -> PublicPageFastPath:
    settings = evolve(Settings(), public_base_url="https://m.example", public_max_age=60)
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
    container: AsyncContainer,
) -> None:
    handler = Handler()
    app = layer(handler, container)
    handler.expires = time.time() - 1  # already past: rendered again next time
    await call(app, "/api/public/pages/a-page")
    handler.expires = None
    await call(app, "/api/public/pages/a-page")
    await call(app, "/api/public/pages/a-page")
    assert len(handler.calls) == 2
    (await container.get(PageCache)).drop(["a-page"])
    assert (await call(app, "/api/public/pages/a-page"))[2] == b"<p>3</p>"
