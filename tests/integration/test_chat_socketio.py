"""The chat over Socket.IO (``/socket.io``, namespace ``/chat``) with python-socketio's client
against the app served by uvicorn: sign-in, rooms, a streamed turn, acknowledgements, resume
after a dropped connection, cancel, refusals, and one room shared with ``/ws/chat``; over
WebSocket only and over polling upgraded to WebSocket."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import socketio
import websockets

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.worker.app import build_worker
from tests import services
from tests.integration.chat_helpers import (
    Frame,
    Owner,
    TalkingModelProvider,
    final_of,
    owner,
    submit,
    text_of,
)
from tests.integration.socketio_helpers import SioClient, http, serving, serving_app

TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling", "websocket"]}


@pytest.fixture
async def base_url(settings: Settings) -> AsyncIterator[str]:
    fast = evolve(settings, offline_model_delay_ms=0, chat_coalesce_ms=0)
    async with serving(fast) as url:
        yield url


@pytest.fixture(params=list(TRANSPORTS))
def transports(request: pytest.FixtureRequest) -> list[str]:
    return TRANSPORTS[str(request.param)]


@asynccontextmanager
async def both_in_room(
    client: SioClient, base_url: str, who: Owner
) -> AsyncIterator[websockets.ClientConnection]:
    """A raw WebSocket on ``base_url`` and the Socket.IO ``client``, both in ``who``'s room."""
    ws_url = base_url.replace("http", "ws", 1) + f"/ws/chat?token={who.token}"
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps({"event": "joinRoom", "data": {"room": who.room}}))
        assert json.loads(await ws.recv())["event"] == "session-info"
        await client.call("joinRoom", room=who.room)
        await client.receive()
        yield ws


async def drain(ws: websockets.ClientConnection) -> None:
    while True:
        await ws.recv()


def seqs_of(frames: list[Frame], message_id: str) -> list[int]:
    return [
        f["data"]["seq"]
        for f in frames
        if f["event"] in ("message-chunk", "component") and f["data"]["message_id"] == message_id
    ]


@pytest.mark.parametrize("auth", [None, {}, {"token": "forged"}, {"token": 42}, "token"])
async def test_a_missing_or_bad_token_is_a_connect_error(base_url: str, auth: Any) -> None:
    client = socketio.AsyncClient(reconnection=False)
    refused: list[Any] = []
    client.on("connect_error", refused.append, namespace="/chat")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            base_url, namespaces=["/chat"], auth=auth, transports=["websocket"], wait_timeout=20
        )
    assert refused == [{"message": "invalid or missing token", "data": {"code": "unauthorized"}}]


async def test_a_full_streamed_turn(base_url: str, transports: list[str]) -> None:
    async with http(base_url) as api:
        who = await owner(api)
    client = SioClient()
    await client.connect(base_url, who.token, transports)
    try:
        info = await client.call("joinRoom", room=who.room, userId="user-123")
        assert info["event"] == "session-info"
        assert await client.receive() == info  # the event comes too, for clients without acks
        assert (info["data"]["room"], info["data"]["page_id"]) == (who.room, who.page_id)

        text = "신랑 김민준 신부 이서연, 2027년 5월 15일"
        accepted = await client.call("chat-message", text=text, client_message_id="c1")
        assert accepted["event"] == "message-accepted"
        reply = accepted["data"]["message_id"]
        assert accepted["data"]["client_message_id"] == "c1"
        frames = await client.until(final_of(reply))
    finally:
        await client.close()

    final = frames[-1]["data"]
    assert final["status"] == "completed"
    assert text_of(frames, reply) == final["content"]
    assert "김민준" in final["content"]
    assert seqs_of(frames, reply) == list(range(1, len(seqs_of(frames, reply)) + 1))
    [mine] = [f for f in frames if f["event"] == "newMessage" and f["data"]["role"] == "user"]
    assert mine["data"]["content"] == text
    assert [f for f in frames if f["event"] == "component"]


async def test_refused_events_get_an_error_and_the_client_stays_connected(
    base_url: str,
) -> None:
    async with http(base_url) as api:
        who = await owner(api)
        stranger = await owner(api, "타인")
    client = SioClient()
    await client.connect(base_url, who.token, ["websocket"])
    try:
        refused = await client.call("joinRoom", room=stranger.room)
        assert refused == {
            "event": "error",
            "data": {
                "code": "not_found",
                "message": "No such page",
                "event": "joinRoom",
                "room": stranger.room,
            },
        }
        assert await client.receive() == refused
        assert (await client.call("chat-message", text="먼저"))["data"]["code"] == "not_joined"
        assert (await client.call("dance"))["data"]["code"] == "unknown_event"
        bad = await client.sio.call("joinRoom", "page-1", namespace="/chat", timeout=20)
        assert bad["data"]["code"] == "bad_frame"
        invalid = (await client.call("joinRoom", room=42))["data"]
        assert (invalid["code"], invalid["errors"][0]["field"]) == ("validation_error", "room")
        assert await client.call("ping") == {"event": "pong", "data": {}}
        assert client.sio.connected
    finally:
        await client.close()


async def test_one_room_both_transports_see_the_same_events(base_url: str) -> None:
    async with http(base_url) as api:
        who = await owner(api)
    client = SioClient()
    await client.connect(base_url, who.token, ["polling", "websocket"])
    try:
        async with both_in_room(client, base_url, who) as ws:
            await ws.send(json.dumps({"event": "chat-message", "data": {"text": "같이 봐요"}}))
            raw: list[Frame] = []
            while not raw or raw[-1]["event"] != "message-accepted":
                raw.append(json.loads(await ws.recv()))
            reply = raw[-1]["data"]["message_id"]
            while not final_of(reply)(raw[-1]):
                raw.append(json.loads(await ws.recv()))
            seen = await client.until(final_of(reply))
    finally:
        await client.close()

    room_events = [f for f in raw if f["event"] != "message-accepted"]
    assert seen == room_events
    assert text_of(seen, reply) == seen[-1]["data"]["content"] != ""


@pytest.mark.parametrize("cut", [0, 2])
async def test_resume_after_a_dropped_connection(
    base_url: str, transports: list[str], cut: int
) -> None:
    async with http(base_url) as api:
        who = await owner(api)
    first = SioClient()
    await first.connect(base_url, who.token, transports)
    info = await first.call("joinRoom", room=who.room)
    await first.receive()
    accepted = await first.call("chat-message", text="2027년 5월 15일 오후 1시")
    reply = accepted["data"]["message_id"]
    seen = await first.until(final_of(reply))
    await first.close()
    with_cursor = [f for f in seen if "cursor" in f["data"]]
    kept = with_cursor[: cut + 1]

    second = SioClient()
    await second.connect(base_url, who.token, transports)
    try:
        resumed = await second.call(
            "resume", session_id=info["data"]["session_id"], cursor=kept[-1]["data"]["cursor"]
        )
        assert resumed["event"] == "session-info"
        missed = [f for f in await second.until(final_of(reply)) if f["event"] != "session-info"]
    finally:
        await second.close()

    frames = kept + missed
    assert text_of(frames, reply) == frames[-1]["data"]["content"]
    assert seqs_of(frames, reply) == list(range(1, len(seqs_of(frames, reply)) + 1))
    assert len({f["data"]["cursor"] for f in frames}) == len(frames)


async def test_cancel_stops_the_run_and_tells_the_room(settings: Settings) -> None:
    async with serving(settings, TalkingModelProvider()) as url:
        async with http(url) as api:
            who = await owner(api)
        client = SioClient()
        await client.connect(url, who.token, ["websocket"])
        try:
            await client.call("joinRoom", room=who.room)
            accepted = await client.call("chat-message", text="길게 말해줘")
            reply = accepted["data"]["message_id"]
            frames = await client.until(lambda f: f["event"] == "message-chunk")
            assert await client.call("cancel", message_id=reply) is None
            frames += await client.until(final_of(reply))
        finally:
            await client.close()

    events = [f["event"] for f in frames if (f["data"] or {}).get("message_id") == reply]
    assert events[-2:] == ["message-cancelled", "newMessage"]
    final = frames[-1]["data"]
    assert final["status"] == "cancelled"
    assert final["content"] == text_of(frames, reply) != ""


async def test_refused_cancels_name_the_message_they_were_for(base_url: str) -> None:
    """Emitted without acknowledgements, as a client with several requests in flight may:
    each refusal says which request it refuses."""
    async with http(base_url) as api:
        who = await owner(api)
        stranger = await owner(api, "타인")
        theirs = (await submit(api, stranger))["message_id"]
    client = SioClient()
    await client.connect(base_url, who.token, ["websocket"])
    try:
        await client.emit("cancel", message_id=theirs)
        await client.emit("cancel", message_id="no-such-message")
        errors = [(await client.receive())["data"] for _ in range(2)]
    finally:
        await client.close()
    assert [(e["event"], e["code"], e["message_id"]) for e in errors] == [
        ("cancel", "not_found", theirs),
        ("cancel", "not_found", "no-such-message"),
    ]


async def test_a_fresh_token_that_does_not_sign_in_disconnects(base_url: str) -> None:
    async with http(base_url) as api:
        who = await owner(api)
    client = SioClient()
    await client.connect(base_url, who.token, ["websocket"])
    try:
        await client.emit("auth", token="forged")
        error = await client.receive()
        assert error["event"] == "error"
        assert error["data"]["code"] == "unauthorized"
        await client.gone()
    finally:
        await client.close()


async def test_an_engine_io_connection_that_never_joins_is_closed(settings: Settings) -> None:
    """Engine.IO's close packet first; a client that ignores it is dropped at the ping
    timeout."""
    quick = evolve(
        settings, chat_ws_auth_timeout=0.05, chat_sio_ping_interval=0.2, chat_sio_ping_timeout=0.2
    )
    async with serving(quick) as url:
        ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url) as ws:
            assert (await ws.recv()).startswith("0{")  # the Engine.IO handshake
            assert await ws.recv() == "1"  # Engine.IO's close, before any ping
            with pytest.raises(websockets.ConnectionClosed):
                await drain(ws)


def engine_io_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"


def connect_packet(token: str) -> str:
    return "40/chat," + json.dumps({"token": token})


@asynccontextmanager
async def signing_in(base_url: str, token: str) -> AsyncIterator[websockets.ClientConnection]:
    """A bare Engine.IO WebSocket that has sent ``/chat``'s connect with ``token``."""
    async with websockets.connect(engine_io_url(base_url)) as ws:
        assert (await ws.recv()).startswith("0{")  # Engine.IO's open
        await ws.send(connect_packet(token))
        yield ws


async def test_a_connect_held_up_by_a_busy_event_loop_is_not_cut_off_by_the_deadline(
    settings: Settings,
) -> None:
    """The client sends its namespace connect at once, but the server's event loop (the
    test's own, here busy for twice the deadline, as a loaded process's is) reads it late: the
    time the loop was behind is not the client's, and the client signs in."""
    deadline = 1.0
    async with serving(evolve(settings, chat_ws_auth_timeout=deadline)) as url:
        async with http(url) as api:
            who = await owner(api)
        async with signing_in(url, who.token) as ws:
            time.sleep(2 * deadline)  # noqa: ASYNC251 - the loop kept busy, as under load
            answer = await ws.recv()
    assert answer.startswith('40/chat,{"sid":')


async def test_a_connect_that_comes_after_the_server_ended_the_session_is_dropped(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The namespace connect of a session the server has already ended (its sign-in deadline
    passed, a drain) is not handled: python-socketio raised ``KeyError`` on it (logged) and
    kept a half-registered client."""
    quick = evolve(
        settings, chat_ws_auth_timeout=0.05, chat_sio_ping_interval=0.2, chat_sio_ping_timeout=0.2
    )
    app = create_app(quick)
    async with serving_app(app) as url:
        async with http(url) as api:
            who = await owner(api)
        async with websockets.connect(engine_io_url(url)) as ws:
            assert (await ws.recv()).startswith("0{")
            assert await ws.recv() == "1"  # the deadline passed: Engine.IO's close
            with contextlib.suppress(websockets.ConnectionClosed):
                await ws.send(connect_packet(who.token))
                await drain(ws)
        manager = app.state.socketio.server.manager
        assert (manager.rooms, manager.pending_connect) == ({}, {})
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_session_that_ends_while_its_client_signs_in_leaves_nothing_behind(
    settings: Settings,
) -> None:
    """The Engine.IO session ends (a ping timeout, a drain) while the namespace connect is
    being handled: python-socketio had already passed the disconnect by (the client was still
    connecting) and then registered the client for good, with its protocol and its drain hook."""
    app = create_app(settings)
    gateway = app.state.socketio
    server = gateway.server
    signs_in = gateway.connect

    async def ended_meanwhile(sid: str, environ: dict[str, Any], auth: object) -> None:
        await server.eio.disconnect(server.manager.eio_sid_from_sid(sid, "/chat"))
        await signs_in(sid, environ, auth)

    server.on("connect", ended_meanwhile, namespace="/chat")
    async with serving_app(app) as url:
        async with http(url) as api:
            who = await owner(api)
        async with signing_in(url, who.token) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await drain(ws)
        assert (gateway.clients, server.manager.rooms, server.manager.pending_connect) == (
            0,
            {},
            {},
        )


async def test_pings_go_on_while_answered_and_a_silent_client_is_dropped(
    settings: Settings,
) -> None:
    """The server's pings run on timers: each answered ping is followed by the next one; a
    ping left unanswered for the ping timeout ends the connection with Engine.IO's close."""
    quick = evolve(settings, chat_sio_ping_interval=0.1, chat_sio_ping_timeout=0.3)
    async with serving(quick) as url:
        async with http(url) as api:
            who = await owner(api)
        async with signing_in(url, who.token) as ws:
            assert (await ws.recv()).startswith('40/chat,{"sid":')
            for _ in range(3):
                assert await ws.recv() == "2"
                await ws.send("3")
            assert await ws.recv() == "2"  # left unanswered
            assert await ws.recv() == "1"
            with pytest.raises(websockets.ConnectionClosed):
                await drain(ws)


async def test_a_message_over_the_size_limit_ends_the_connection(settings: Settings) -> None:
    small = evolve(settings, chat_sio_max_message_bytes=1000)
    async with serving(small) as url:
        async with http(url) as api:
            who = await owner(api)
        client = SioClient()
        await client.connect(url, who.token, ["websocket"])
        await client.emit("chat-message", text="가" * 1000)
        await client.gone()


@pytest.mark.redis
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_one_room_across_processes_and_transports(settings: Settings) -> None:
    """Two API processes on one Redis and one database: a Socket.IO client on the first and a
    raw WebSocket client on the second, in the same room, see the same events in the same
    order; the turn runs on a worker of its own."""
    services.require_redis()
    shared = evolve(
        settings,
        redis_url=services.REDIS_URL,
        redis_prefix=services.unique_redis_prefix(),
        offline_model_delay_ms=0,
        chat_coalesce_ms=0,
    )
    async with serving(shared) as first, serving(shared) as second:
        async with http(first) as api:
            who = await owner(api)
        client = SioClient()
        await client.connect(first, who.token, ["websocket"])
        try:
            async with both_in_room(client, second, who) as ws:
                accepted = await client.call("chat-message", text="두 프로세스에서")
                reply = accepted["data"]["message_id"]
                worker = build_worker(shared, burst=True, handle_signals=False)
                try:
                    await worker.async_run()
                finally:
                    await worker.close()
                raw = [json.loads(await ws.recv())]
                while not final_of(reply)(raw[-1]):
                    raw.append(json.loads(await ws.recv()))
                seen = await client.until(final_of(reply))
        finally:
            await client.close()

    assert [f for f in seen if f["event"] != "message-accepted"] == raw
    assert text_of(raw, reply) == raw[-1]["data"]["content"] != ""
