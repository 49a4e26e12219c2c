from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.tables.chat import chat_messages, chat_sessions
from mocheong_core.chat.model import IN_FLIGHT, ChatSession, Message, MessageStatus, Role
from mocheong_core.chat.ports import KEEP, Changes, Guard

# Only the two columns chat needs; the pages context owns the table.
_pages = sa.table("pages", sa.column("id"), sa.column("owner_id"))

_FIELDS = {"metadata": "meta"}  # model field -> column, where they differ


def _session(row: sa.Row[Any]) -> ChatSession:
    owner = row.owner_id
    return ChatSession(
        id=row.id,
        page_id=row.page_id,
        created_at=row.created_at,
        owner_id=str(owner) if owner is not None else None,
    )


# The statements of the submit path are built once: building and keying a statement costs
# more than running it.

# A session with its page's owner, in one query: access checks need no second read.
_SESSIONS = sa.select(chat_sessions, _pages.c.owner_id).select_from(
    chat_sessions.outerjoin(_pages, _pages.c.id == chat_sessions.c.page_id)
)
_SESSION_OF_PAGE = _SESSIONS.where(chat_sessions.c.page_id == sa.bindparam("page_id"))
_SESSION_BY_ID = _SESSIONS.where(chat_sessions.c.id == sa.bindparam("session_id"))

# Rows go in as parameter sets of this one statement: a multi-row ``values()`` statement would
# be compiled again on every use (SQLAlchemy cannot cache it).
INSERT_MESSAGES = chat_messages.insert()


def _message(row: sa.Row[Any]) -> Message:
    return Message(
        id=row.id,
        session_id=row.session_id,
        role=Role(row.role),
        status=MessageStatus(row.status),
        content=row.content,
        created_at=row.created_at,
        updated_at=row.updated_at,
        components=list(row.components or []),
        attempt=row.attempt,
        lease_until=row.lease_until,
        client_message_id=row.client_message_id,
        reply_to=row.reply_to,
        metadata=dict(row.meta or {}),
        cancel_requested_at=row.cancel_requested_at,
    )


def message_values(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "session_id": message.session_id,
        "role": message.role.value,
        "status": message.status.value,
        "content": message.content,
        "components": message.components,
        "attempt": message.attempt,
        "lease_until": message.lease_until,
        "client_message_id": message.client_message_id,
        "reply_to": message.reply_to,
        "meta": message.metadata,
        "cancel_requested_at": message.cancel_requested_at,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
    }


class SqlaChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def session_for_page(self, page_id: str) -> ChatSession | None:
        row = (await self._session.execute(_SESSION_OF_PAGE, {"page_id": page_id})).first()
        return _session(row) if row else None

    async def get_session(self, session_id: str) -> ChatSession | None:
        row = (await self._session.execute(_SESSION_BY_ID, {"session_id": session_id})).first()
        return _session(row) if row else None

    async def add_session(self, session: ChatSession) -> ChatSession:
        try:
            async with self._session.begin_nested():
                await self._session.execute(
                    chat_sessions.insert().values(
                        id=session.id, page_id=session.page_id, created_at=session.created_at
                    )
                )
        except IntegrityError:
            existing = await self.session_for_page(session.page_id)
            if existing is None:
                raise
            return existing
        return session

    async def add_turn(self, user: Message, assistant: Message) -> bool:
        # One statement for both rows, no savepoint round trips: a repeated client id fails it
        # as a whole, and the caller rolls back.
        try:
            await self._session.execute(
                INSERT_MESSAGES, [message_values(user), message_values(assistant)]
            )
        except IntegrityError:
            return False
        return True

    async def find_turn(
        self, session_id: str, client_message_id: str
    ) -> tuple[Message, Message] | None:
        user = (
            await self._session.execute(
                chat_messages.select().where(
                    chat_messages.c.session_id == session_id,
                    chat_messages.c.client_message_id == client_message_id,
                )
            )
        ).first()
        if user is None:
            return None
        reply = (
            await self._session.execute(
                chat_messages.select().where(chat_messages.c.reply_to == user.id)
            )
        ).first()
        return (_message(user), _message(reply)) if reply else None

    async def get_message(self, message_id: str) -> Message | None:
        query = chat_messages.select().where(chat_messages.c.id == message_id)
        row = (await self._session.execute(query)).first()
        return _message(row) if row else None

    async def list_messages(
        self, session_id: str, *, limit: int, before: str | None = None
    ) -> list[Message]:
        query = (
            chat_messages.select()
            .where(chat_messages.c.session_id == session_id)
            .order_by(chat_messages.c.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(chat_messages.c.id < before)
        return [_message(row) for row in await self._session.execute(query)]

    async def update_if(self, message_id: str, guard: Guard, changes: Changes) -> bool:
        result = await self._session.execute(_update(message_id, guard, changes))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def update_returning(
        self, message_id: str, guard: Guard, changes: Changes
    ) -> Message | None:
        query = _update(message_id, guard, changes).returning(*chat_messages.c)
        row = (await self._session.execute(query)).first()
        return _message(row) if row else None

    async def expired(self, now: datetime, limit: int) -> list[Message]:
        c = chat_messages.c
        query = (
            chat_messages.select()
            .where(c.status.in_([s.value for s in IN_FLIGHT]), c.lease_until < now)
            .order_by(c.lease_until)
            .limit(limit)
        )
        return [_message(row) for row in await self._session.execute(query)]


def _update(message_id: str, guard: Guard, changes: Changes) -> sa.Update:
    values: dict[str, Any] = {}
    for field in attrs.fields(Changes):
        value = getattr(changes, field.name)
        if value is not KEEP:
            values[_FIELDS.get(field.name, field.name)] = (
                value.value if isinstance(value, MessageStatus) else value
            )
    c = chat_messages.c
    query = (
        chat_messages.update()
        .where(c.id == message_id, c.status.in_([s.value for s in guard.statuses]))
        .values(**values)
    )
    if guard.attempt is not None:
        query = query.where(c.attempt == guard.attempt)
    if guard.lease_ended_by is not None:
        query = query.where(c.lease_until < guard.lease_ended_by)
    return query
