"""The chat protocol every real-time transport speaks, apart from how frames travel."""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer

from mocheong_core.chat.model import ChatSession
from mocheong_core.chat.replay import Replay, ReplayRoom


def session_info(session: ChatSession) -> dict[str, Any]:
    """The ``session-info`` event's data: the room a client has just entered."""
    return {"session_id": session.id, "room": session.room, "page_id": session.page_id}


async def replay_in_scope(
    container: AsyncContainer, session: ChatSession, after: str | None
) -> Replay:
    async with container() as scope:
        return await (await scope.get(ReplayRoom))(session, after)
