"""The submit fast path: what it answers itself, and what it hands to the route untouched."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy.exc as sa_exc
from dishka import Provider, Scope, make_async_container
from litestar import Litestar
from redis import exceptions as redis_exc

from entrypoints.http.fast.submit import SubmitFastPath
from mocheong_core.accounts.usecases import Authenticate
from mocheong_core.chat.usecases import Submit
from mocheong_core.errors import RateLimited, ServiceUnavailable, Unauthorized

TOKEN = "a-token"
BODY = json.dumps({"page_id": "p-1", "message": "안녕하세요", "client_message_id": "c-1"}).encode()
ACCEPTED = SimpleNamespace(
    turn=SimpleNamespace(
        assistant=SimpleNamespace(id="a-1"),
        session=SimpleNamespace(id="s-1"),
        user=SimpleNamespace(id="u-1", client_message_id="c-1"),
    ),
    created=True,
)


class Route:
    """Stands for the Litestar route: records what reached it, body included."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"route", "more_body": False})


class Use:
    """The use cases the fast path resolves, answering or raising as told."""

    def __init__(self, signs_in: Exception | None = None, submits: Exception | None = None):
        self.signs_in, self.submits = signs_in, submits
        self.calls: list[tuple[Any, ...]] = []

    async def authenticate(self, token: str) -> Any:
        if self.signs_in:
            raise self.signs_in
        return SimpleNamespace(id="u-1", token=token)

    async def submit(self, user_id: str, text: str, **kw: Any) -> Any:
        self.calls.append((user_id, text, kw))
        if self.submits:
            raise self.submits
        return ACCEPTED


def fast_path(use: Use, route: Route, max_body: int = 10_000) -> SubmitFastPath:
    provider = Provider(scope=Scope.REQUEST)
    provider.provide(lambda: use.authenticate, provides=Authenticate)
    provider.provide(lambda: use.submit, provides=Submit)
    container = make_async_container(provider)
    return SubmitFastPath(route, Litestar(), container, max_body)


async def call(
    app: SubmitFastPath,
    chunks: list[bytes],
    *,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/api/chat",
) -> tuple[int, dict[bytes, bytes], bytes]:
    sent_headers = {"content-type": "application/json", "authorization": f"Bearer {TOKEN}"}
    sent_headers.update(headers or {})
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.encode(), v.encode()) for k, v in sent_headers.items() if v],
        "query_string": b"",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "scheme": "http",
        "root_path": "",
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    pending = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    answer: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        answer.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in answer[1:])
    return answer[0]["status"], dict(answer[0]["headers"]), body


async def test_a_good_submit_is_answered_without_the_route() -> None:
    use, route = Use(), Route()

    status, headers, body = await call(fast_path(use, route), [BODY[:10], BODY[10:]])

    assert status == 202
    assert headers[b"content-type"] == b"application/json"
    assert int(headers[b"content-length"]) == len(body)
    assert json.loads(body) == {
        "status": "accepted",
        "message_id": "a-1",
        "session_id": "s-1",
        "user_message_id": "u-1",
        "client_message_id": "c-1",
        "duplicate": False,
    }
    assert use.calls == [
        ("u-1", "안녕하세요", {"session_id": None, "page_id": "p-1", "client_message_id": "c-1"})
    ]
    assert route.bodies == []


@pytest.mark.parametrize(
    ("chunks", "headers", "use"),
    [
        ([BODY], {"authorization": ""}, Use()),
        ([BODY], {"authorization": "Basic abc"}, Use()),
        ([BODY], {"content-type": "text/plain"}, Use()),
        ([b'{"page_id": "p-1", "message": '], {}, Use()),
        ([json.dumps({"page_id": "p-1"}).encode()], {}, Use()),
        ([json.dumps({"message": 5}).encode()], {}, Use()),
        ([BODY], {}, Use(signs_in=Unauthorized("expired"))),
        ([BODY[:60], BODY[60:]], {}, Use()),  # over the size limit below
    ],
    ids=[
        "no-token",
        "not-bearer",
        "not-json",
        "broken-json",
        "no-message",
        "wrong-type",
        "refused-token",
        "too-large",
    ],
)
async def test_what_it_does_not_take_reaches_the_route_whole(
    chunks: list[bytes], headers: dict[str, str], use: Use
) -> None:
    route = Route()

    status, _, body = await call(fast_path(use, route, max_body=80), chunks, headers=headers)

    assert (status, body) == (299, b"route")
    assert route.bodies == [b"".join(chunks)]
    assert use.calls == []


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/chat"), ("POST", "/api/chat/x")])
async def test_other_requests_pass_by(method: str, path: str) -> None:
    route, use = Route(), Use()

    status, _, _ = await call(fast_path(use, route), [BODY], method=method, path=path)

    assert status == 299
    assert use.calls == []


async def test_a_refused_submit_is_answered_as_the_app_answers_it() -> None:
    use, route = Use(submits=RateLimited(retry_after=7)), Route()

    status, headers, body = await call(fast_path(use, route), [BODY])

    assert status == 429
    assert headers[b"retry-after"] == b"7"
    assert headers[b"content-type"].startswith(b"application/problem+json")
    assert json.loads(body)["code"] == "rate_limited"
    assert route.bodies == []


async def test_a_database_that_fails_mid_submit_is_a_503() -> None:
    failure = sa_exc.OperationalError("INSERT", {}, ConnectionError("down"))
    use, route = Use(submits=failure), Route()

    status, headers, body = await call(fast_path(use, route), [BODY])

    assert (status, headers[b"retry-after"]) == (503, b"5")
    assert json.loads(body)["code"] == "service_unavailable"
    assert route.bodies == []


@pytest.mark.parametrize(
    "failure",
    [
        sa_exc.OperationalError("SELECT", {}, ConnectionError("down")),
        redis_exc.ConnectionError("Connection refused"),
    ],
)
async def test_a_lost_dependency_while_signing_in_is_a_503_with_retry_after(
    failure: Exception,
) -> None:
    use, route = Use(signs_in=failure), Route()

    status, headers, body = await call(fast_path(use, route), [BODY])

    assert (status, headers[b"retry-after"]) == (503, b"5")
    assert json.loads(body)["code"] == "service_unavailable"
    assert use.calls == []


async def test_a_chat_stream_that_is_unavailable_is_a_503_with_retry_after() -> None:
    use, route = Use(submits=ServiceUnavailable("The chat stream is unavailable")), Route()

    status, headers, body = await call(fast_path(use, route), [BODY])

    assert (status, headers[b"retry-after"]) == (503, b"5")
    assert json.loads(body)["code"] == "service_unavailable"
