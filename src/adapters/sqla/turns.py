"""``BatchedTurnStore``: chat turns committed together (group commit).

Each submit hands its two messages over and waits. One writer per process takes everything
waiting, stores it with one statement in one transaction of its own, and answers each submit;
what arrives while it writes goes in the next transaction. On PostgreSQL the statement is one
``INSERT … SELECT FROM unnest(…)`` with a column of values per parameter: one message to the
server and one plan whatever the batch's size (``executemany`` would send a statement per
row). Elsewhere the rows go as the parameter sets of one ``executemany``.

Nothing waits on purpose: a lone submit is written at once, and under load a transaction
carries many turns, so a turn costs a fraction of a round trip and of a commit.

A repeated ``client_message_id`` fails the batch's statement as a whole; the batch is then
written turn by turn, each in its own transaction, so that only the repeated one is refused.
A database that fails answers every waiting submit with ``ServiceUnavailable``: nothing of
its batch was committed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
import sqlalchemy as sa
import structlog
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.sqla.repos.chat import INSERT_MESSAGES, SqlaChatRepository, message_values
from adapters.sqla.tables.chat import chat_messages
from mocheong_core.chat.model import Message
from mocheong_core.errors import ServiceUnavailable

log = structlog.get_logger("mocheong.chat")
_encode = msgspec.json.Encoder().encode

_Waiting = tuple[Message, Message, "asyncio.Future[bool]"]


_JSON_COLUMNS = frozenset(c.name for c in chat_messages.c if isinstance(c.type, sa.JSON))


def _unnest_insert() -> sa.Insert:
    """``INSERT INTO chat_messages … SELECT … FROM unnest(:id, :session_id, …)``, each
    parameter an array holding that column of every row. JSON columns travel as arrays of
    JSON text, made ``jsonb`` by the server (psycopg would read a list as an array's rows)."""
    columns = list(chat_messages.c)

    def array_of(column: sa.Column[Any]) -> sa.types.TypeEngine[Any]:
        return sa.Text() if column.name in _JSON_COLUMNS else column.type

    arrays = [sa.bindparam(c.name, type_=postgresql.ARRAY(array_of(c))) for c in columns]
    rows = (
        sa.func.unnest(*arrays)
        .table_valued(*[sa.column(c.name, array_of(c)) for c in columns])
        .render_derived()
    )
    values = [
        sa.cast(rows.c[c.name], postgresql.JSONB) if c.name in _JSON_COLUMNS else rows.c[c.name]
        for c in columns
    ]
    return chat_messages.insert().from_select([c.name for c in columns], sa.select(*values))


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The rows as one list per column, JSON columns as JSON text."""
    columns: dict[str, list[Any]] = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        if name in _JSON_COLUMNS:
            values = [_encode(value).decode() for value in values]
        columns[name] = values
    return columns


_UNNEST_INSERT = _unnest_insert()


class BatchedTurnStore:
    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        max_batch: int,
    ) -> None:
        self._engine = engine
        self._columnar = engine.dialect.name == "postgresql"
        self._sessions = sessions
        self._max_batch = max_batch
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    async def store(self, user: Message, assistant: Message) -> bool:
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((user, assistant, answer))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all())
        # The write goes on if this submit is cancelled: other turns share its transaction.
        return await asyncio.shield(answer)

    async def close(self) -> None:
        """Waits for what was handed over to be written."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            stored = await self._insert(batch)
        except Exception as exc:  # the database failed: every waiting submit must hear it
            log.warning("chat_turns_not_stored", turns=len(batch), error=repr(exc))
            for _, _, answer in batch:
                if not answer.done():
                    answer.set_exception(
                        ServiceUnavailable("The message could not be stored; send it again")
                    )
            return
        for (_, _, answer), ok in zip(batch, stored, strict=True):
            if not answer.done():
                answer.set_result(ok)

    async def _insert(self, batch: list[_Waiting]) -> list[bool]:
        rows = [message_values(m) for user, assistant, _ in batch for m in (user, assistant)]
        statement: sa.Executable = INSERT_MESSAGES
        parameters: Any = rows
        if self._columnar:
            statement = _UNNEST_INSERT
            parameters = _columns(rows)
        try:
            async with self._engine.begin() as connection:
                await connection.execute(statement, parameters)
        except IntegrityError:
            if len(batch) == 1:
                return [False]
            # A repeated client id among them: each turn on its own finds which.
            return [await self._insert_one(user, assistant) for user, assistant, _ in batch]
        return [True] * len(batch)

    async def _insert_one(self, user: Message, assistant: Message) -> bool:
        async with self._sessions() as session:
            if not await SqlaChatRepository(session).add_turn(user, assistant):
                return False
            await session.commit()
        return True
