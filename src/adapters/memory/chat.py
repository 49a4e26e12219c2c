"""In-memory twins of the chat repository and of page ownership, for unit tests and
importing teams. They hand out copies and apply conditional writes like the SQL twin."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import attrs

from mocheong_core.chat.model import IN_FLIGHT, ChatSession, Message
from mocheong_core.chat.ports import KEEP, Changes, Guard


class InMemoryChatRepository:
    def __init__(self, pages: InMemoryPageAccess) -> None:
        self._pages = pages
        """Where a session's owner is read, as the SQL twin joins the pages table."""
        self._sessions: dict[str, ChatSession] = {}
        self._messages: dict[str, Message] = {}

    def snapshot(self) -> object:
        return dict(self._sessions), {k: _copy(m) for k, m in self._messages.items()}

    def restore(self, state: object) -> None:
        sessions, messages = cast(tuple[dict[str, ChatSession], dict[str, Message]], state)
        self._sessions = dict(sessions)
        self._messages = {k: _copy(m) for k, m in messages.items()}

    async def session_for_page(self, page_id: str) -> ChatSession | None:
        found = next((s for s in self._sessions.values() if s.page_id == page_id), None)
        return self._with_owner(found)

    async def get_session(self, session_id: str) -> ChatSession | None:
        return self._with_owner(self._sessions.get(session_id))

    def _with_owner(self, session: ChatSession | None) -> ChatSession | None:
        if session is None:
            return None
        return attrs.evolve(session, owner_id=self._pages.owners.get(session.page_id))

    async def add_session(self, session: ChatSession) -> ChatSession:
        existing = await self.session_for_page(session.page_id)
        if existing is not None:
            return existing
        self._sessions[session.id] = session
        return self._with_owner(session) or session

    async def add_turn(self, user: Message, assistant: Message) -> bool:
        if user.client_message_id is not None and any(
            m.session_id == user.session_id and m.client_message_id == user.client_message_id
            for m in self._messages.values()
        ):
            return False
        self._messages[user.id] = _copy(user)
        self._messages[assistant.id] = _copy(assistant)
        return True

    async def find_turn(
        self, session_id: str, client_message_id: str
    ) -> tuple[Message, Message] | None:
        for user in self._messages.values():
            if user.session_id == session_id and user.client_message_id == client_message_id:
                reply = next((m for m in self._messages.values() if m.reply_to == user.id), None)
                return (_copy(user), _copy(reply)) if reply else None
        return None

    async def get_message(self, message_id: str) -> Message | None:
        message = self._messages.get(message_id)
        return _copy(message) if message else None

    async def list_messages(
        self, session_id: str, *, limit: int, before: str | None = None
    ) -> list[Message]:
        ids = sorted(
            (
                m.id
                for m in self._messages.values()
                if m.session_id == session_id and (before is None or m.id < before)
            ),
            reverse=True,
        )
        return [_copy(self._messages[i]) for i in ids[:limit]]

    async def update_if(self, message_id: str, guard: Guard, changes: Changes) -> bool:
        return await self.update_returning(message_id, guard, changes) is not None

    async def update_returning(
        self, message_id: str, guard: Guard, changes: Changes
    ) -> Message | None:
        message = self._messages.get(message_id)
        if message is None or not _holds(message, guard):
            return None
        values: dict[str, Any] = {
            field.name: getattr(changes, field.name)
            for field in attrs.fields(Changes)
            if getattr(changes, field.name) is not KEEP
        }
        self._messages[message_id] = _copy(attrs.evolve(message, **values))
        return _copy(self._messages[message_id])

    async def expired(self, now: datetime, limit: int) -> list[Message]:
        found = [
            m
            for m in self._messages.values()
            if m.status in IN_FLIGHT and m.lease_until is not None and m.lease_until < now
        ]
        return [_copy(m) for m in sorted(found, key=lambda m: m.id)[:limit]]


def _holds(message: Message, guard: Guard) -> bool:
    if message.status not in guard.statuses:
        return False
    if guard.attempt is not None and message.attempt != guard.attempt:
        return False
    if guard.lease_ended_by is None:
        return True
    return message.lease_until is not None and message.lease_until < guard.lease_ended_by


def _copy(message: Message) -> Message:
    return attrs.evolve(
        message, components=list(message.components), metadata=dict(message.metadata)
    )


class InMemoryPageAccess:
    """Page ownership as a plain map, filled by whoever sets up the pages."""

    def __init__(self, owners: dict[str, str] | None = None) -> None:
        self.owners: dict[str, str] = dict(owners or {})

    async def owner_of(self, page_id: str) -> str | None:
        return self.owners.get(page_id)
