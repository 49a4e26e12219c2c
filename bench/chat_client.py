"""Chat clients for the chaos runs and benchmarks: accounts and pages over HTTP, and a
WebSocket (or Socket.IO) client that keeps a ``Ledger`` of its room and can drop and resume
anywhere.

The client follows the contract of docs (api.md): ``joinRoom`` the first time, ``resume
{session_id, cursor}`` with the last cursor it received after every reconnect.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import httpx
import socketio
import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.chat_ledger import SNAPSHOT_REASONS, Ledger

QUESTION = "김민준 이서연 2027년 5월 15일 오후 1시 더채플앳청담에서 결혼해요. 청첩장 부탁해요"
CONNECT_ERRORS = (OSError, TimeoutError, ConnectionClosed, InvalidHandshake, InvalidURI)


async def register(http: httpx.AsyncClient, label: str) -> str:
    """A new account; returns its access token."""
    response = await _post_patiently(
        http,
        "/api/auth/register",
        json={
            "email": f"{label}-{uuid.uuid4().hex[:10]}@example.com",
            "password": "chaos-password-1234",
            "name": label,
        },
    )
    return str(response.json()["access_token"])


async def create_page(http: httpx.AsyncClient, token: str) -> str:
    response = await _post_patiently(http, "/api/pages", json={}, headers=_auth(token))
    return str(response.json()["id"])


async def _post_patiently(
    http: httpx.AsyncClient, url: str, attempts: int = 5, **options: Any
) -> httpx.Response:
    """A POST that, like a well-behaved client, waits out a 503 for its ``Retry-After`` (a run
    setting up hundreds of rooms at once on a loaded machine can exhaust a small pool)."""
    for _ in range(attempts - 1):
        response = await http.post(url, **options)
        if response.status_code != 503:
            break
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
    else:
        response = await http.post(url, **options)
    response.raise_for_status()
    return response


async def stored_messages(
    http: httpx.AsyncClient, token: str, session_id: str
) -> dict[str, dict[str, Any]]:
    """Every stored message of a session: id → {content, status, role, attempt}."""
    stored: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = await http.get(
            f"/api/chat/sessions/{session_id}/messages", params=params, headers=_auth(token)
        )
        response.raise_for_status()
        body = response.json()
        for item in body["items"]:
            stored[item["id"]] = item
        cursor = body.get("next_cursor")
        if not cursor:
            return stored


class ConnectionLost(RuntimeError):
    """The connection ended while the client waited for an answer."""


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class RoomClient:
    """One user's WebSocket view of one page's room."""

    def __init__(self, ws_urls: list[str], token: str, page_id: str) -> None:
        self.ws_urls = ws_urls
        self.token = token
        self.page_id = page_id
        self.room = f"page-{page_id}"
        self.ledger = Ledger()
        self.session_id: str | None = None
        self.api: int | None = None
        self.lost = asyncio.Event()
        self.changed = asyncio.Event()
        self.submitted: list[str] = []  # the user's messages and the replies, checked at the end
        self.replies: list[str] = []  # the assistant replies, waited for
        self.replay_delays: list[float] = []
        self.info_delays: list[float] = []
        """Seconds from each ``resume`` sent to its ``session-info``."""
        self.connect_times: list[float] = []
        """Seconds each reconnection took before ``resume`` could be sent (handshakes)."""
        self.reconnects = 0
        self.close_codes: list[int | None] = []
        """The close code of each connection the server ended (1006: no close frame)."""
        self.last_chunk_at: dict[str, float] = {}
        self.retried_at: dict[str, float] = {}  # a run started over (not a snapshot's reset)
        self.final_at: dict[str, float] = {}
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._control: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._resumed_at: float | None = None
        self._resumed_wall = 0.0
        self.nothing_missed = 0

    async def open(self, api: int) -> None:
        """Connects to API ``api``: joins the room the first time, resumes afterwards."""
        await self.close()
        began = time.perf_counter()
        ws = await websockets.connect(
            f"{self.ws_urls[api]}?token={self.token}", open_timeout=5, max_queue=None
        )
        self._ws, self.api = ws, api
        self.lost.clear()
        self._control = asyncio.Queue()
        self._reader = asyncio.create_task(self._read(ws))
        await self._join_or_resume(began)

    async def _join_or_resume(self, began: float) -> None:
        resumed = self.session_id is not None
        sent = time.perf_counter()
        if not resumed:
            await self._send("joinRoom", {"room": self.room})
        else:
            self.reconnects += 1
            self._resumed_at = sent
            self._resumed_wall = time.time()
            self.connect_times.append(sent - began)
            resume = {"session_id": self.session_id, "cursor": self.ledger.cursor}
            await self._send("resume", resume)
        info = await self._expect("session-info")
        if resumed:
            self.info_delays.append(time.perf_counter() - sent)
        self.session_id = info["session_id"]

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None

    async def submit(self, text: str = QUESTION) -> str:
        await self._send("chat-message", {"text": text, "client_message_id": uuid.uuid4().hex})
        accepted = await self._expect("message-accepted")
        self.replies.append(accepted["message_id"])
        self.submitted += [accepted["user_message_id"], accepted["message_id"]]
        return str(accepted["message_id"])

    async def cancel(self, message_id: str) -> None:
        await self._send("cancel", {"message_id": message_id})

    def final(self, message_id: str) -> bool:
        view = self.ledger.messages.get(message_id)
        return view is not None and view.final is not None

    def all_final(self) -> bool:
        return all(self.final(message_id) for message_id in self.replies)

    async def _send(self, event: str, data: dict[str, Any]) -> None:
        await self._ws.send(json.dumps({"event": event, "data": data}))

    async def _expect(self, event: str) -> dict[str, Any]:
        async with asyncio.timeout(15):
            while True:
                frame = await self._next_control()
                if frame["event"] == event:
                    return dict(frame["data"])
                if frame["event"] == "error":
                    raise RuntimeError(f"{event} refused: {frame['data']}")

    async def _next_control(self) -> dict[str, Any]:
        """The next answer; ``ConnectionLost`` at once if the connection ends first."""
        while self._control.empty():
            if self.lost.is_set():
                raise ConnectionLost(f"the server closed the connection (api {self.api})")
            answer = asyncio.ensure_future(self._control.get())
            gone = asyncio.ensure_future(self.lost.wait())
            await asyncio.wait((answer, gone), return_when=asyncio.FIRST_COMPLETED)
            gone.cancel()
            if answer.done():
                return answer.result()
            answer.cancel()
        return self._control.get_nowait()

    async def _read(self, ws: Any) -> None:
        try:
            async for raw in ws:
                self._receive(json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            if self._ws is ws:  # the server ended it, not ``close``
                self.close_codes.append(ws.close_code)
            self._gone()

    def _gone(self) -> None:
        self.lost.set()
        self.changed.set()

    def _receive(self, frame: dict[str, Any]) -> None:
        event = frame["event"]
        if event in ("session-info", "message-accepted", "error", "pong"):
            self._control.put_nowait(frame)
            return
        if self._resumed_at is not None:
            # Only a replayed event measures the resume: a live one after it just means
            # nothing was missed.
            if _appended_before(frame["data"].get("cursor"), self._resumed_wall):
                self.replay_delays.append(time.perf_counter() - self._resumed_at)
            else:
                self.nothing_missed += 1
            self._resumed_at = None
        now = time.perf_counter()
        message_id = frame["data"].get("message_id")
        if event == "message-chunk":
            self.last_chunk_at[message_id] = now
        elif event == "stream-reset" and message_id:
            if frame["data"].get("reason") not in SNAPSHOT_REASONS:
                self.retried_at.setdefault(message_id, now)
        elif event == "newMessage":
            self.final_at.setdefault(message_id, now)
        self.ledger.apply(frame)
        self.changed.set()


class SocketIORoomClient(RoomClient):
    """The same view of the room over Socket.IO (``/socket.io``, namespace ``/chat``,
    WebSocket transport), with python-socketio's client.

    Every client of the process shares one aiohttp session (``close_socketio_http`` at the
    end), as a browser's connections share its HTTP stack: a session per connection costs the
    process's event loop more than the server takes to answer, and every other client in the
    process waits for it while many reconnect at once (R2)."""

    _http: ClassVar[dict[str, aiohttp.ClientSession]] = {}

    @classmethod
    def http(cls) -> aiohttp.ClientSession:
        session = cls._http.get("shared")
        if session is None or session.closed:
            session = cls._http["shared"] = aiohttp.ClientSession()
        return session

    async def open(self, api: int) -> None:
        await self.close()
        began = time.perf_counter()
        sio = socketio.AsyncClient(reconnection=False, http_session=self.http())
        sio.on("*", lambda event, data=None: self._receive({"event": event, "data": data}),
               namespace="/chat")  # fmt: skip
        sio.on("disconnect", lambda *_: self._gone(), namespace="/chat")
        self._control = asyncio.Queue()
        base = self.ws_urls[api].replace("ws://", "http://", 1).removesuffix("/ws/chat")
        try:
            await sio.connect(
                base, namespaces=["/chat"], auth={"token": self.token},
                transports=["websocket"], wait_timeout=5,
            )  # fmt: skip
        except socketio.exceptions.ConnectionError as exc:
            raise OSError(f"Socket.IO connect failed: {exc}") from exc
        self._ws, self.api = sio, api
        self.lost.clear()
        await self._join_or_resume(began)

    async def close(self) -> None:
        sio, self._ws = self._ws, None
        if sio is not None:
            await sio.disconnect()

    async def _send(self, event: str, data: dict[str, Any]) -> None:
        await self._ws.emit(event, data, namespace="/chat")


async def close_socketio_http() -> None:
    """Closes the Socket.IO clients' shared aiohttp session, if one was opened."""
    session = SocketIORoomClient._http.pop("shared", None)
    if session is not None:
        await session.close()


def _appended_before(cursor: str | None, wall: float) -> bool:
    """Whether the event of ``cursor`` was appended before ``wall`` (cursors carry the Redis
    stream id, whose first part is the server's clock in ms; a snapshot's frames are replayed
    by definition)."""
    if not cursor or "." not in cursor:
        return True
    ms = cursor.split(".", 1)[1].split("-", 1)[0]
    return not ms.isdigit() or int(ms) / 1000 < wall


async def open_anywhere(client: RoomClient, choices: list[int], attempts: int = 20) -> None:
    """Connects to the first API of ``choices`` that answers, trying again shortly."""
    last: BaseException | None = None
    for attempt in range(attempts):
        api = choices[attempt % len(choices)]
        try:
            await client.open(api)
            return
        except (*CONNECT_ERRORS, RuntimeError) as exc:
            last = exc
            await asyncio.sleep(0.1 * (attempt + 1))
    raise RuntimeError(f"no API process accepted the client: {last!r}")
