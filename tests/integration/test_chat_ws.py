"""The chat WebSocket on SQLite and Postgres: every client event and the events it causes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import (
    Frame,
    chat_client,
    final_of,
    frames_until,
    owner,
    receive,
    send,
    stored,
    submit,
    talking_client,
    text_of,
)
from tests.integration.pages_helpers import admin_headers, container_of

__all__ = ["chat_client", "talking_client"]


def seqs_of(frames: list[Frame], message_id: str) -> list[int]:
    return [
        f["data"]["seq"]
        for f in frames
        if f["event"] in ("message-chunk", "component") and f["data"]["message_id"] == message_id
    ]


async def test_join_send_and_receive_the_whole_reply(chat_client: Client) -> None:
    who = await owner(chat_client)
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        info = receive(ws)
        assert info["event"] == "session-info"
        assert (info["data"]["room"], info["data"]["page_id"]) == (who.room, who.page_id)

        text = "신랑 김민준 신부 이서연, 2027년 5월 15일"
        send(ws, "chat-message", text=text, client_message_id="c1")
        frames = frames_until(ws, lambda f: f["event"] == "message-accepted")
        accepted = frames[-1]["data"]
        reply = accepted["message_id"]
        assert accepted["client_message_id"] == "c1"
        assert accepted["session_id"] == info["data"]["session_id"]
        frames += frames_until(ws, final_of(reply))

    final = frames[-1]["data"]
    assert final["status"] == "completed"
    assert final["metadata"]["model"] == "offline"
    assert final["metadata"]["offline"] is True
    assert final["metadata"]["agents"] == ["main", "context", "output"]
    assert text_of(frames, reply) == final["content"]
    assert "김민준" in final["content"]
    assert seqs_of(frames, reply) == list(range(1, len(seqs_of(frames, reply)) + 1))
    assert all("cursor" in f["data"] for f in frames if f["event"] != "message-accepted")
    [mine] = [f for f in frames if f["event"] == "newMessage" and f["data"]["role"] == "user"]
    assert mine["data"]["content"] == text
    components = [f for f in frames if f["event"] == "component"]
    assert components[-1]["data"]["component"]["type"] == "checklist"


async def test_the_token_may_come_in_a_first_auth_frame(chat_client: Client) -> None:
    who = await owner(chat_client)
    with await chat_client.websocket_connect("/ws/chat") as ws:
        send(ws, "auth", token=who.token)
        send(ws, "ping")
        assert receive(ws) == {"event": "pong", "data": {}}


@pytest.mark.parametrize(
    ("url", "first"),
    [
        ("/ws/chat?token=not-a-token", None),
        ("/ws/chat", {"event": "auth", "data": {"token": "forged"}}),
        ("/ws/chat", {"event": "ping", "data": {}}),
        ("/ws/chat", {"event": "auth"}),
    ],
)
async def test_a_missing_or_bad_token_closes_the_socket_with_4401(
    chat_client: Client, url: str, first: dict[str, Any] | None
) -> None:
    with await chat_client.websocket_connect(url) as ws:
        if first is not None:
            ws.send_json(first)
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4401


async def test_a_socket_is_closed_when_its_user_is_disabled(chat_client: Client) -> None:
    who = await owner(chat_client)
    admin = await admin_headers(chat_client)
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        assert receive(ws)["event"] == "session-info"
        me = (await chat_client.get("/api/auth/me", headers=who.headers)).json()

        disabled = await chat_client.patch(
            f"/api/admin/users/{me['id']}", json={"disabled": True}, headers=admin
        )
        assert disabled.status_code == 200

        with pytest.raises(WebSocketDisconnect) as closed:
            frames_until(ws, lambda _: False)
    assert closed.value.code == 4401


async def test_a_socket_stays_open_when_its_user_changes_but_can_still_sign_in(
    chat_client: Client,
) -> None:
    who = await owner(chat_client)
    admin = await admin_headers(chat_client)
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        me = (await chat_client.get("/api/auth/me", headers=who.headers)).json()
        promoted = await chat_client.patch(
            f"/api/admin/users/{me['id']}", json={"role": "admin"}, headers=admin
        )
        assert promoted.status_code == 200

        send(ws, "ping")
        assert receive(ws)["event"] == "pong"


async def test_a_socket_that_never_authenticates_is_closed(settings: Settings) -> None:
    quick = evolve(settings, chat_ws_auth_timeout=0.05)
    async with AsyncTestClient(create_app(quick)) as client:
        socket = client.websocket_connect("/ws/chat")
        with await socket as ws, pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4401


@pytest.mark.parametrize("event", ["auth", "ping"])
async def test_a_big_frame_before_signing_in_closes_the_socket_with_1009(
    chat_client: Client, settings: Settings, event: str
) -> None:
    padding = "가" * settings.server.ws_auth_frame_bytes  # 3 bytes each in UTF-8
    with await chat_client.websocket_connect("/ws/chat") as ws:
        ws.send_json({"event": event, "data": {"token": padding}})
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 1009


async def test_a_frame_over_the_signed_in_limit_closes_the_socket_with_1009(
    chat_client: Client, settings: Settings
) -> None:
    who = await owner(chat_client)
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        # A chat message of the longest allowed length, every char 3 bytes, is not too big
        # (refused here only because no room was joined).
        send(ws, "chat-message", text="가" * settings.chat.message_max_chars)
        assert receive(ws)["data"]["code"] == "not_joined"
        send(ws, "ping", padding="x" * settings.server.ws_max_frame_bytes)
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 1009


async def test_refused_frames_get_an_error_and_the_socket_stays_open(chat_client: Client) -> None:
    who = await owner(chat_client)
    stranger = await owner(chat_client, "타인")
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=stranger.room)
        assert receive(ws) == {
            "event": "error",
            "data": {
                "code": "not_found",
                "message": "No such page",
                "event": "joinRoom",
                "room": stranger.room,
            },
        }
        send(ws, "joinRoom", room="lobby")
        assert receive(ws)["data"]["code"] == "not_found"
        send(ws, "chat-message", text="before joining")
        assert receive(ws)["data"]["code"] == "not_joined"
        send(ws, "dance")
        assert receive(ws)["data"] | {"message": ""} == {
            "code": "unknown_event",
            "message": "",
            "event": "dance",
        }
        ws.send_text("{not json")
        assert "event" not in receive(ws)["data"]  # a frame that could not be read
        send(ws, "joinRoom", room=42)
        error = receive(ws)["data"]
        assert (error["code"], error["errors"][0]["field"]) == ("validation_error", "room")
        send(ws, "joinRoom", room=who.room)
        assert receive(ws)["event"] == "session-info"
        send(ws, "chat-message", text="   ")
        assert receive(ws)["data"]["errors"] == [
            {"field": "message", "message": "must not be empty"}
        ]
        send(ws, "resume", session_id="no-such-session", cursor=None)
        assert receive(ws)["data"]["code"] == "not_found"
        send(ws, "cancel", message_id="no-such-message")
        assert receive(ws)["data"]["code"] == "not_found"
        send(ws, "ping")
        assert receive(ws)["event"] == "pong"


async def test_every_connection_of_the_user_in_the_room_gets_the_stream(
    chat_client: Client,
) -> None:
    who = await owner(chat_client)
    url = f"/ws/chat?token={who.token}"
    with (
        await chat_client.websocket_connect(url) as a,
        await chat_client.websocket_connect(url) as b,
    ):
        for ws in (a, b):
            send(ws, "joinRoom", room=who.room)
            receive(ws)
        send(a, "chat-message", text="둘 다 받나요?")
        accepted = frames_until(a, lambda f: f["event"] == "message-accepted")[-1]["data"]
        reply = accepted["message_id"]
        seen_a = frames_until(a, final_of(reply))
        seen_b = frames_until(b, final_of(reply))

    assert text_of(seen_a, reply) == text_of(seen_b, reply) == seen_b[-1]["data"]["content"]
    assert not [f for f in seen_b if f["event"] == "message-accepted"]


@pytest.mark.parametrize("cut", [0, 1, 3, -1])
async def test_resume_from_a_cursor_gives_what_was_missed_then_live(
    chat_client: Client, cut: int
) -> None:
    who = await owner(chat_client)
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        session_id = receive(ws)["data"]["session_id"]
        send(ws, "chat-message", text="2027년 5월 15일 오후 1시")
        accepted = frames_until(ws, lambda f: f["event"] == "message-accepted")[-1]["data"]
        reply = accepted["message_id"]
        seen = frames_until(ws, final_of(reply))
    with_cursor = [f for f in seen if "cursor" in f["data"]]
    kept = with_cursor[: cut + 1] if cut >= 0 else with_cursor

    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "resume", session_id=session_id, cursor=kept[-1]["data"]["cursor"])
        assert receive(ws)["event"] == "session-info"
        if cut == -1:
            send(ws, "chat-message", text="그다음")
            later = frames_until(ws, lambda f: f["event"] == "message-accepted")
            assert later[0]["event"] == "newMessage"  # live: nothing was replayed
            return
        missed = frames_until(ws, final_of(reply))

    frames = kept + missed
    assert text_of(frames, reply) == frames[-1]["data"]["content"]
    assert seqs_of(frames, reply) == list(range(1, len(seqs_of(frames, reply)) + 1))
    assert len({f["data"]["cursor"] for f in frames}) == len(frames)


@contextmanager
def statements_of(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements ``engine`` runs inside the block."""
    ran: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        ran.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield ran
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_resume_reads_no_database_once_the_process_knows_the_session(
    chat_client: Client,
) -> None:
    """A resume storm (an API process gone, its clients resuming on the others) must not
    queue for the database pool: the session and its owner never change while the page
    exists, so the process reads them once."""
    who = await owner(chat_client)
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        session_id = receive(ws)["data"]["session_id"]
        send(ws, "ping")
        assert receive(ws)["event"] == "pong"

    engine = await container_of(chat_client).get(AsyncEngine)
    url = f"/ws/chat?token={who.token}"
    with statements_of(engine) as ran, await chat_client.websocket_connect(url) as ws:
        send(ws, "resume", session_id=session_id, cursor=None)
        assert receive(ws)["event"] == "session-info"
        assert receive(ws)["event"] == "stream-reset"  # the snapshot, read after the resume
    assert ran  # the snapshot (no cursor) read the messages: the recorder works
    assert [s for s in ran if "chat_sessions" in s] == []


async def test_a_known_session_is_still_refused_to_someone_else_and_after_its_page_is_deleted(
    chat_client: Client,
) -> None:
    who = await owner(chat_client)
    stranger = await owner(chat_client, "타인")
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        session_id = receive(ws)["data"]["session_id"]
        send(ws, "resume", session_id=session_id, cursor=None)
        assert receive(ws)["event"] == "session-info"  # the process now knows it by id

    with await chat_client.websocket_connect(f"/ws/chat?token={stranger.token}") as ws:
        send(ws, "resume", session_id=session_id, cursor=None)
        assert receive(ws)["data"] == {
            "code": "not_found",
            "message": "No such chat session",
            "event": "resume",
            "session_id": session_id,
        }

    deleted = await chat_client.delete(f"/api/pages/{who.page_id}", headers=who.headers)
    assert deleted.status_code == 204
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "resume", session_id=session_id, cursor=None)
        assert receive(ws)["data"]["code"] == "not_found"


@pytest.mark.parametrize("cursor", [None, "garbage", "0123abcd.5-0"])
async def test_resume_outside_the_stream_gets_a_snapshot_from_the_database(
    chat_client: Client, cursor: str | None
) -> None:
    who = await owner(chat_client)
    accepted = await submit(chat_client, who, "안녕하세요")
    done = await stored(chat_client, who, accepted["session_id"], accepted["message_id"])

    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "resume", session_id=accepted["session_id"], cursor=cursor)
        assert receive(ws)["event"] == "session-info"
        reset, *snapshot = [receive(ws), receive(ws), receive(ws)]
        send(ws, "ping")
        assert receive(ws)["event"] == "pong"  # nothing more was replayed

    assert reset == {"event": "stream-reset", "data": {"reason": "snapshot", "cursor": "resync"}}
    assert [(f["event"], f["data"]["role"]) for f in snapshot] == [
        ("newMessage", "user"),
        ("newMessage", "assistant"),
    ]
    assert snapshot[1]["data"]["content"] == done["content"]
    assert snapshot[0]["data"]["cursor"] == "resync"
    assert snapshot[1]["data"]["cursor"] != "resync"


async def test_cancel_stops_the_run_and_tells_the_room(talking_client: Client) -> None:
    who = await owner(talking_client)
    with await talking_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        receive(ws)
        send(ws, "chat-message", text="길게 말해줘")
        accepted = frames_until(ws, lambda f: f["event"] == "message-accepted")[-1]["data"]
        reply = accepted["message_id"]
        frames = frames_until(ws, lambda f: f["event"] == "message-chunk")
        send(ws, "cancel", message_id=reply)
        frames += frames_until(ws, final_of(reply))

    events = [f["event"] for f in frames if f["data"].get("message_id") == reply]
    assert events[-2:] == ["message-cancelled", "newMessage"]
    final = frames[-1]["data"]
    assert final["status"] == "cancelled"
    assert final["content"] == text_of(frames, reply) != ""


async def test_refused_cancels_name_the_message_they_were_for(chat_client: Client) -> None:
    """Several requests in flight: each refusal says which one it refuses, so a client does
    not take a refused cancel for the answer to its join or its message."""
    who = await owner(chat_client)
    stranger = await owner(chat_client, "타인")
    theirs = (await submit(chat_client, stranger))["message_id"]
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "cancel", message_id=theirs)
        send(ws, "joinRoom", room=who.room)
        send(ws, "cancel", message_id="no-such-message")
        send(ws, "chat-message", text="   ", client_message_id="mine-1")
        answers = [receive(ws) for _ in range(4)]
    named = [(a["event"], a["data"].get("event"), a["data"].get("code")) for a in answers]
    assert named == [
        ("error", "cancel", "not_found"),
        ("session-info", None, None),
        ("error", "cancel", "not_found"),
        ("error", "chat-message", "validation_error"),
    ]
    assert [answers[0]["data"]["message_id"], answers[2]["data"]["message_id"]] == [
        theirs,
        "no-such-message",
    ]
    assert answers[3]["data"]["client_message_id"] == "mine-1"


async def test_leaving_never_cancels_the_run(chat_client: Client) -> None:
    who = await owner(chat_client)
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        session_id = receive(ws)["data"]["session_id"]
        send(ws, "chat-message", text="답장 부탁해요")
        accepted = frames_until(ws, lambda f: f["event"] == "message-accepted")[-1]["data"]

    done = await stored(chat_client, who, session_id, accepted["message_id"])
    assert done["status"] == "completed"


async def test_chat_messages_are_rate_limited(settings: Settings) -> None:
    limited = evolve(settings, rate_chat_per_user=1, offline_model_delay_ms=0)
    async with AsyncTestClient(create_app(limited)) as client:
        who = await owner(client)
        with await client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
            send(ws, "joinRoom", room=who.room)
            receive(ws)
            send(ws, "chat-message", text="하나")
            frames_until(ws, lambda f: f["event"] == "message-accepted")
            send(ws, "chat-message", text="둘")
            error = frames_until(ws, lambda f: f["event"] == "error")[-1]["data"]
    assert error["code"] == "rate_limited"
    assert error["retry_after"] > 0
