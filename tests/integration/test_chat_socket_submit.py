"""A message sent over ``/ws/chat`` finds its session in the session cache, not the database:
the socket's room was opened when it joined, and a read by session id before every turn was a
transaction of its own on the path to the first chunk (P7)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import (
    chat_client,
    final_of,
    frames_until,
    owner,
    receive,
    send,
)
from tests.integration.pages_helpers import container_of

__all__ = ["chat_client"]
TURNS = 3


async def test_messages_over_the_socket_and_their_runs_read_no_session_the_process_knows(
    chat_client: Client,
) -> None:
    who = await owner(chat_client)
    engine = await container_of(chat_client).get(AsyncEngine)
    ran: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        ran.append(statement)

    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        assert receive(ws)["event"] == "session-info"
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            for n in range(TURNS):
                send(ws, "chat-message", text="안녕하세요", client_message_id=f"c{n}")
                accepted = frames_until(ws, lambda f: f["event"] == "message-accepted")
                frames_until(ws, final_of(accepted[-1]["data"]["message_id"]))
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)

    # Neither the submits nor the runs (in the worker, or here in the embedded mode) read the
    # session: the process's session cache has it since the join (P7, docs/architecture.md).
    assert len([s for s in ran if s.startswith("UPDATE chat_messages")]) >= TURNS  # the claims
    assert [s for s in ran if "FROM chat_sessions" in s] == []
