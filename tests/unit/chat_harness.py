"""Every chat use case wired to the in-memory twins, a movable clock and scriptable models."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from adapters.memory.chat import InMemoryChatRepository, InMemoryPageAccess
from adapters.memory.pages import InMemoryPageRepository
from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.memory.session_cache import LocalSessionCache
from adapters.memory.stream import InMemoryStreamBroker
from adapters.memory.uow import InMemoryUnitOfWork
from mocheong_core.chat.access import ChatAccess
from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.model import Message, MessageStatus
from mocheong_core.chat.policy import RUN_TURN, ChatPolicy
from mocheong_core.chat.ports import ChatModel, ModelPart, ModelTurn, TextDelta
from mocheong_core.chat.replay import ReplayRoom
from mocheong_core.chat.runner import RunTurn
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.chat.sweeper import SweepTurns
from mocheong_core.chat.turns import TurnInTransaction
from mocheong_core.chat.usecases import Cancel, ListMessages, OpenSession, Submit
from mocheong_core.pages.ports import PageRepository

OWNER = "user-owner"
STRANGER = "user-stranger"
PAGE = "page-1"


@attrs.define
class ManualClock:
    at: datetime = datetime(2027, 5, 15, 4, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@attrs.frozen
class Job:
    task: str
    payload: dict[str, Any]
    job_id: str


class RecordingQueue:
    """Keeps queued jobs for the test to run; an id seen before is refused like arq does."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        if any(job.job_id == job_id for job in self.jobs):
            return False
        self.jobs.append(Job(task, payload, job_id))
        return True


class ListModel:
    """Answers every turn with the same parts, at once."""

    label: dict[str, Any] = {"model": "list"}  # noqa: RUF012

    def __init__(self, parts: list[ModelPart]) -> None:
        self.parts = parts

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        for part in self.parts:
            await asyncio.sleep(0)
            yield part


class FedModel:
    """Answers with what the test feeds it: a part, an exception to raise, or None to end.
    ``closed`` counts calls that were stopped or ended."""

    label: dict[str, Any] = {"model": "fed"}  # noqa: RUF012

    def __init__(self) -> None:
        self.feed: asyncio.Queue[ModelPart | Exception | None] = asyncio.Queue()
        self.closed = 0

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        try:
            while True:
                item = await self.feed.get()
                if item is None:
                    return
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            self.closed += 1

    def say(self, *texts: str) -> None:
        for text in texts:
            self.feed.put_nowait(TextDelta(text))

    def end(self) -> None:
        self.feed.put_nowait(None)


class Chat:
    """One process of the chat context: shared stores, each call run like its own request."""

    def __init__(
        self,
        model: ChatModel | None = None,
        *,
        policy: ChatPolicy | None = None,
        retention: int = 2000,
        page_store: PageRepository | None = None,
    ) -> None:
        self.pages = InMemoryPageAccess({PAGE: OWNER})
        self.page_store: PageRepository = page_store or InMemoryPageRepository()
        self.sessions = LocalSessionCache(max_entries=100, ttl_seconds=3600)
        self.chats = InMemoryChatRepository(self.pages)
        self.broker = InMemoryStreamBroker(retention=retention)
        self.queue = RecordingQueue()
        self.limiter = InMemoryRateLimiter()
        self.clock = ManualClock()
        self.policy = policy or ChatPolicy(coalesce_seconds=0)
        self.model: ChatModel = model or ListModel([TextDelta("안녕"), TextDelta("하세요")])
        self._ran = 0

    def _uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.chats)

    def _access(self, uow: InMemoryUnitOfWork) -> ChatAccess:
        return ChatAccess(self.chats, self.pages, self.sessions, uow, self.clock)

    def _ender(self, uow: InMemoryUnitOfWork) -> MessageEnder:
        return MessageEnder(self.chats, self.broker, uow, self.clock)

    def open_session(self) -> OpenSession:
        return OpenSession(self._access(self._uow()))

    def submit(self) -> Submit:
        uow = self._uow()
        return Submit(
            OpenSession(self._access(uow)),
            self.chats,
            TurnInTransaction(self.chats, uow),
            self.broker,
            self.queue,
            self.limiter,
            uow,
            self.clock,
            self.policy,
        )

    def cancel(self) -> Cancel:
        uow = self._uow()
        return Cancel(
            self._access(uow),
            self.chats,
            self.broker,
            self._ender(uow),
            uow,
            self.clock,
            self.policy,
        )

    def list_messages(self) -> ListMessages:
        return ListMessages(self._access(self._uow()), self.chats)

    def replay(self) -> ReplayRoom:
        return ReplayRoom(self.chats, self.broker, self._uow(), self.policy)

    def run_turn(self) -> RunTurn:
        uow = self._uow()
        return RunTurn(
            self.chats,
            self.page_store,
            self.sessions,
            self.model,
            self.broker,
            self._ender(uow),
            uow,
            self.clock,
            self.policy,
        )

    def sweep(self) -> SweepTurns:
        uow = self._uow()
        return SweepTurns(
            self.chats, self.broker, self.queue, self._ender(uow), uow, self.clock, self.policy
        )

    async def say(self, text: str = "안녕", *, client_message_id: str | None = None) -> Message:
        """Submits as the owner; returns the pending assistant message."""
        accepted = await self.submit()(
            OWNER, text, page_id=PAGE, client_message_id=client_message_id
        )
        return accepted.turn.assistant

    async def run_queued(self) -> list[MessageStatus | None]:
        """Runs every queued job not run yet, in order."""
        results = []
        while self.queue.jobs[self._ran :]:
            job = self.queue.jobs[self._ran]
            self._ran += 1
            assert job.task == RUN_TURN
            results.append(await self.run_turn()(job.payload["message_id"], job.payload["attempt"]))
        return results

    async def message(self, message_id: str) -> Message:
        message = await self.chats.get_message(message_id)
        assert message is not None
        return message

    async def events(self, room: str = f"page-{PAGE}") -> list[StreamEvent]:
        return (await self.broker.history(room, None, 100_000)).events
