"""SIGTERM drains a real `mocheong serve` on each ASGI server (quality target R9): the chat
WebSocket is closed with 1012, the Socket.IO client's connection is ended, the SSE stream
ends after its `restart` comment, a request in flight is answered, and the process exits 0.
In process: a draining app answers `/ready` with 503 and turns new streams away the same way.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
import socketio
import websockets
from litestar.exceptions import WebSocketDisconnect

from entrypoints.realtime.sse import RESTART_COMMENT
from entrypoints.runtime.drain import RESTART, Drain
from mocheong_core.kernel.ids import new_id
from tests import services
from tests.integration.accounts_http import PASSWORD, Client, assert_problem
from tests.integration.chat_helpers import chat_client, owner, submit
from tests.integration.pages_helpers import container_of
from tests.live_server import CLI, cli_environ, served

__all__ = ["chat_client"]  # a fixture

GUARD = 30.0
"""Hang guard only: a stream or process the drain never ends fails the test instead."""


async def signed_in_session(http: httpx.AsyncClient) -> tuple[str, str, str]:
    """A new user's token, page room and chat session."""
    email = f"{new_id()}@example.com"
    registered = await http.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "민준"}
    )
    token = registered.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    page = (await http.post("/api/pages", json={}, headers=headers)).json()
    submitted = await http.post(
        "/api/chat", json={"page_id": page["id"], "message": "안녕하세요"}, headers=headers
    )
    assert submitted.status_code == 202, submitted.text
    return token, f"page-{page['id']}", submitted.json()["session_id"]


async def websocket_close(base: str, token: str, room: str, joined: asyncio.Event) -> int | None:
    url = base.replace("http", "ws", 1) + f"/ws/chat?token={token}"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"event": "joinRoom", "data": {"room": room}}))
        while json.loads(await ws.recv())["event"] != "session-info":
            continue
        joined.set()
        try:
            while True:
                await ws.recv()
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


async def sse_ending(base: str, token: str, session_id: str, opened: asyncio.Event) -> list[str]:
    """The stream's lines, read until the server ends it."""
    lines = []
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/chat/sessions/{session_id}/stream"
    async with (
        httpx.AsyncClient(base_url=base, timeout=GUARD) as http,
        http.stream("GET", path, headers=headers) as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            lines.append(line)
            if line.startswith("event: session-info"):
                opened.set()
    return lines


async def socketio_ended(base: str, token: str, connected: asyncio.Event) -> bool:
    client = socketio.AsyncClient(reconnection=False)
    ended = asyncio.Event()
    client.on("disconnect", lambda *_: ended.set(), namespace="/chat")
    await client.connect(
        base, namespaces=["/chat"], auth={"token": token}, transports=["websocket"]
    )
    connected.set()
    await ended.wait()
    return True


def in_flight_login(port: int, body: bytes, sent_half: asyncio.Event) -> bytes:
    """A login whose body comes in two halves around the SIGTERM; returns the answer."""
    import socket
    import time

    with socket.create_connection(("127.0.0.1", port), timeout=GUARD) as sock:
        head = (
            "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body[:10])
        sent_half.set()
        time.sleep(1.0)  # the SIGTERM arrives meanwhile
        sock.sendall(body[10:])
        return sock.recv(65536)


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
async def test_sigterm_closes_every_stream_with_a_restart_signal_and_exits_0(
    tmp_path: Path, server: str
) -> None:
    env = {"MOCHEONG_SERVER": server, "MOCHEONG_SERVER_SHUTDOWN_GRACE": "10"}
    with served(tmp_path, tmp_path / "server.log", env) as (process, base):
        async with httpx.AsyncClient(base_url=base, timeout=GUARD) as http:
            token, room, session_id = await signed_in_session(http)
        ready = [asyncio.Event() for _ in range(4)]
        body = json.dumps({"email": "nobody@example.com", "password": PASSWORD}).encode()
        port = int(base.rsplit(":", 1)[1])
        loop = asyncio.get_running_loop()
        tasks: list[asyncio.Future[Any]] = [
            asyncio.ensure_future(websocket_close(base, token, room, ready[0])),
            asyncio.ensure_future(sse_ending(base, token, session_id, ready[1])),
            asyncio.ensure_future(socketio_ended(base, token, ready[2])),
        ]
        async with asyncio.timeout(GUARD):
            await asyncio.gather(*(event.wait() for event in ready[:3]))
        flight = loop.run_in_executor(None, lambda: in_flight_login(port, body, ready[3]))
        async with asyncio.timeout(GUARD):
            await ready[3].wait()
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(GUARD):
            ws_code, sse_lines, sio_ended, answer = await asyncio.gather(*tasks, flight)
        code = await loop.run_in_executor(None, lambda: _exit_code(process))

    assert ws_code == RESTART
    assert f": {RESTART_COMMENT}" in sse_lines
    assert sio_ended
    assert answer.startswith(b"HTTP/1.1 401")
    assert code == 0, (tmp_path / "server.log").read_text()


def _exit_code(process: subprocess.Popen[bytes]) -> int:
    return process.wait(timeout=GUARD)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_draining_process_is_unready_and_turns_new_streams_away(
    chat_client: Client,
) -> None:
    who = await owner(chat_client)
    session_id = (await submit(chat_client, who))["session_id"]
    assert (await chat_client.get("/ready")).status_code == 200

    await (await container_of(chat_client).get(Drain)).start()

    answer = await chat_client.get("/ready")
    assert_problem(answer, 503, "not_ready")
    assert answer.json()["failing"] == ["draining"]
    assert answer.headers["retry-after"]
    socket = chat_client.websocket_connect(f"/ws/chat?token={who.token}")
    with await socket as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == RESTART
    stream = await chat_client.get(f"/api/chat/sessions/{session_id}/stream", headers=who.headers)
    assert stream.status_code == 200
    assert stream.text.rstrip().endswith(f": {RESTART_COMMENT}")


def test_a_worker_stopped_mid_reply_exits_0_and_the_reply_is_finished_elsewhere(
    tmp_path: Path,
) -> None:
    """The worker's one-second grace is too short for the reply: arq cancels it and the
    next worker produces it whole (the clients get a `stream-reset` and the new attempt)."""
    services.require_redis()
    env = {
        "MOCHEONG_REDIS_URL": services.REDIS_URL,
        "MOCHEONG_REDIS_PREFIX": services.unique_redis_prefix(),
        "MOCHEONG_OFFLINE_MODEL_DELAY_MS": "200",
        "MOCHEONG_JOBS_SHUTDOWN_GRACE": "1",
        "MOCHEONG_CHAT_LEASE_SECONDS": "3",
        "MOCHEONG_CHAT_SWEEP_INTERVAL": "0.5",
    }
    with served(tmp_path, tmp_path / "server.log", env) as (_api, base):
        environ = cli_environ(tmp_path, env)
        with httpx.Client(base_url=base, timeout=GUARD) as http:
            first = start_worker(environ, tmp_path / "worker1.log")
            try:
                message = chat_message(http)
                wait_for(lambda: message.status(http) == "streaming")
                first.send_signal(signal.SIGTERM)
                code = first.wait(timeout=GUARD)
            finally:
                stop(first)
            second = start_worker(environ, tmp_path / "worker2.log")
            try:
                wait_for(lambda: message.status(http) not in ("pending", "streaming"))
                final = message.stored(http)
            finally:
                stop(second)

    assert code == 0, (tmp_path / "worker1.log").read_text()
    assert final["status"] == "completed"
    assert final["attempt"] >= 2


@attrs.frozen
class ChatMessage:
    headers: dict[str, str]
    session_id: str
    message_id: str

    def stored(self, http: httpx.Client) -> dict[str, Any]:
        path = f"/api/chat/sessions/{self.session_id}/messages"
        items = http.get(path, headers=self.headers, params={"limit": 100}).json()["items"]
        return dict(next(m for m in items if m["id"] == self.message_id))

    def status(self, http: httpx.Client) -> str:
        return str(self.stored(http)["status"])


def chat_message(http: httpx.Client) -> ChatMessage:
    """A new user's first chat message: its assistant reply, queued."""
    email = f"{new_id()}@example.com"
    registered = http.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "민준"}
    )
    headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    page = http.post("/api/pages", json={}, headers=headers).json()
    body = {"page_id": page["id"], "message": "신랑 김민준 신부 이서연, 2027년 5월 15일"}
    submitted = http.post("/api/chat", json=body, headers=headers)
    assert submitted.status_code == 202, submitted.text
    answer = submitted.json()
    return ChatMessage(headers, answer["session_id"], answer["message_id"])


def start_worker(environ: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as sink:
        return subprocess.Popen([*CLI, "worker"], env=environ, stdout=sink, stderr=sink)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()


def wait_for(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + GUARD * 2
    while not check():
        assert time.monotonic() < deadline, "hang guard"
        time.sleep(0.05)
