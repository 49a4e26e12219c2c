"""``BatchedTurnStore``: chat turns committed together (group commit).

Each submit hands its two messages over and waits. One writer per process takes everything
waiting, stores it with one statement in one transaction of its own, and answers each submit;
what arrives while it writes goes in the next transaction. Nothing waits on purpose: a lone
submit is written at once, and under load a transaction carries many turns, so a turn costs
a fraction of a round trip and of a commit.

A repeated ``client_message_id`` fails the batch's statement as a whole; the batch is then
written turn by turn, each in its own transaction, so that only the repeated one is refused.
A database that fails answers every waiting submit with ``ServiceUnavailable``: nothing of
its batch was committed.
"""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.sqla.repos.chat import INSERT_MESSAGES, SqlaChatRepository, message_values
from mocheong_core.chat.model import Message
from mocheong_core.errors import ServiceUnavailable

log = structlog.get_logger("mocheong.chat")

_Waiting = tuple[Message, Message, "asyncio.Future[bool]"]


class BatchedTurnStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], max_batch: int) -> None:
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
        try:
            async with self._sessions() as session:
                await session.execute(INSERT_MESSAGES, rows)
                await session.commit()
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
