"""Helpers for the chat HTTP and WebSocket tests: an app with a fast offline model, owners
with pages, and reading WebSocket frames until a condition holds."""

from __future__ import annotations

import asyncio
import json
import queue
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode

import anyio
import attrs
import pytest
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient, WebSocketTestSession

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.chat.ports import ChatModel, ModelPart, ModelTurn, TextDelta
from tests.integration.accounts_http import Client
from tests.integration.pages_helpers import create_page, user_headers

# A generous bound for one frame: it only ends a broken test, it measures nothing.
FRAME_TIMEOUT = 20.0
Frame = dict[str, Any]


@pytest.fixture
async def chat_client(settings: Settings) -> AsyncIterator[Client]:
    """The app on the test's backend, with an offline model that does not pause."""
    fast = evolve(settings, offline_model_delay_ms=0, chat_coalesce_ms=0)
    async with AsyncTestClient(create_app(fast)) as client:
        yield client


class TalkingModel:
    """Talks until it is stopped: a short chunk every few milliseconds."""

    label: dict[str, Any] = {"model": "talking"}  # noqa: RUF012

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        for n in range(100_000):
            yield TextDelta(f"말{n} ")
            await asyncio.sleep(0.005)


class TalkingModelProvider(Provider):
    @provide(scope=Scope.APP, override=True)
    def model(self) -> ChatModel:
        return TalkingModel()


@pytest.fixture
async def talking_client(settings: Settings) -> AsyncIterator[Client]:
    """The app on the test's backend, with a model that talks until it is cancelled."""
    async with AsyncTestClient(create_app(settings, TalkingModelProvider())) as client:
        yield client


@attrs.frozen
class Owner:
    headers: dict[str, str]
    page_id: str

    @property
    def token(self) -> str:
        return self.headers["Authorization"].removeprefix("Bearer ")

    @property
    def room(self) -> str:
        return f"page-{self.page_id}"


async def owner(client: Client, name: str = "민준") -> Owner:
    headers = await user_headers(client, name)
    page = await create_page(client, headers)
    return Owner(headers, page["id"])


async def submit(client: Client, who: Owner, text: str = "안녕하세요", **extra: Any) -> Frame:
    response = await client.post(
        "/api/chat", json={"page_id": who.page_id, "message": text, **extra}, headers=who.headers
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


async def messages(client: Client, who: Owner, session_id: str, **params: Any) -> Frame:
    response = await client.get(
        f"/api/chat/sessions/{session_id}/messages", params=params, headers=who.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def stored(client: Client, who: Owner, session_id: str, message_id: str) -> Frame:
    """The message once it has ended (the runner works in the background)."""
    for _ in range(2000):
        items = (await messages(client, who, session_id, limit=100))["items"]
        found = next(m for m in items if m["id"] == message_id)
        if found["status"] not in ("pending", "streaming"):
            return dict(found)
        await asyncio.sleep(0.01)
    raise AssertionError(f"message {message_id} did not end")


def receive(ws: WebSocketTestSession) -> Frame:
    return dict(ws.receive_json(timeout=FRAME_TIMEOUT))


def send(ws: WebSocketTestSession, event: str, **data: Any) -> None:
    ws.send_json({"event": event, "data": data})


def frames_until(ws: WebSocketTestSession, done: Callable[[Frame], bool]) -> list[Frame]:
    """Frames up to and including the first one ``done`` accepts."""
    frames = [receive(ws)]
    while not done(frames[-1]):
        frames.append(receive(ws))
    return frames


def final_of(message_id: str) -> Callable[[Frame], bool]:
    return lambda f: f["event"] == "newMessage" and f["data"]["message_id"] == message_id


def text_of(frames: list[Frame], message_id: str) -> str:
    return "".join(
        f["data"]["delta"]
        for f in frames
        if f["event"] == "message-chunk" and f["data"]["message_id"] == message_id
    )


def parse_sse(text: str) -> list[Frame]:
    """SSE messages as ``{"event", "id", "data"}`` (data decoded) or ``{"comment"}``."""
    found: list[Frame] = []
    for block in text.split("\r\n\r\n"):
        fields: Frame = {}
        for line in block.split("\r\n"):
            name, _, value = line.partition(": ")
            if name == "":
                fields["comment"] = value
            elif name == "data":
                fields["data"] = json.loads(value)
            elif name in ("event", "id"):
                fields[name] = value
        if fields:
            found.append(fields)
    return found


class SseSession:
    """A streaming GET through the test client's event loop thread, read frame by frame: the
    test client's own transport waits for a response to end, which an SSE stream never does."""

    def __init__(self, client: Client, path: str, headers: dict[str, str], **params: str) -> None:
        self._client = client
        url = f"{path}?{urlencode(params)}" if params else path
        path_only, _, query = url.partition("?")
        self._scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path_only,
            "raw_path": path_only.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("testclient", 50000),
            "server": ("testserver", 80),
        }
        self._sent: queue.Queue[dict[str, Any]] = queue.Queue()
        self._buffer = ""
        self.status = 0
        self.frames: list[Frame] = []

    def __enter__(self) -> SseSession:
        portal = self._client.blocking_portal
        self._disconnected = portal.call(anyio.Event)
        portal.start_task_soon(self._call)
        start = self._sent.get(timeout=FRAME_TIMEOUT)
        self.status = start["status"]
        return self

    def __exit__(self, *args: Any) -> None:
        self._client.blocking_portal.call(self._disconnected.set)

    async def _call(self) -> None:
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await self._disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            self._sent.put(message)

        await self._client.app(self._scope, receive, send)

    def next(self) -> Frame:
        """The next SSE message (heartbeat comments included)."""
        while not self.frames:
            message = self._sent.get(timeout=FRAME_TIMEOUT)
            self._buffer += message.get("body", b"").decode()
            *complete, self._buffer = self._buffer.split("\r\n\r\n")
            self.frames.extend(parse_sse("\r\n\r\n".join(complete)))
        return self.frames.pop(0)

    def read_to_end(self) -> None:
        """Reads until the server ends the response; fails if it has not within
        ``FRAME_TIMEOUT`` (heartbeats do not count)."""
        deadline = time.monotonic() + FRAME_TIMEOUT
        while time.monotonic() < deadline:
            message = self._sent.get(timeout=FRAME_TIMEOUT)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                return
        pytest.fail(f"the stream was still open after {FRAME_TIMEOUT} s")

    def until(self, done: Callable[[Frame], bool]) -> list[Frame]:
        frames = [self.next()]
        while not done(frames[-1]):
            frames.append(self.next())
        return frames
