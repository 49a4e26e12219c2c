"""``RunTurn``: one attempt of an assistant message, from claim to final event.

The claim moves the message from ``pending`` at attempt n-1 to ``streaming`` at attempt n in
one conditional write, then takes the broker's fence for n: from then on an older attempt can
neither write the row nor append to the stream. While the model talks, a keeper renews the
lease (checkpointing the text sent so far) and watches for a cancel; model deltas are
gathered for ``coalesce_seconds`` and appended as one chunk. A run that loses its lease or
fence stops without another write; a run that is cancelled or dies mid-way is ended by
whoever notices (itself, ``Cancel`` or the sweeper).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
from datetime import timedelta
from typing import Any

from mocheong_core.chat.access import session_by_id
from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.errors import RunCancelled, StaleAttempt
from mocheong_core.chat.model import ChatSession, Message, MessageStatus, Role
from mocheong_core.chat.policy import ChatPolicy
from mocheong_core.chat.ports import (
    Changes,
    ChatModel,
    ChatRepository,
    Guard,
    MetadataPart,
    ModelPart,
    ModelTurn,
    SessionCache,
    StreamBroker,
    TextDelta,
)
from mocheong_core.chat.stream import EventDraft, EventKind, Fence
from mocheong_core.errors import DomainError
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.uow import UnitOfWork
from mocheong_core.pages.ports import PageRepository

_STREAMING = frozenset({MessageStatus.STREAMING})


class _Stop(enum.Enum):
    CANCELLED = "cancelled"
    LOST = "lost"


class RunTurn:
    def __init__(
        self,
        chats: ChatRepository,
        pages: PageRepository,
        sessions: SessionCache,
        model: ChatModel,
        broker: StreamBroker,
        ender: MessageEnder,
        uow: UnitOfWork,
        clock: Clock,
        policy: ChatPolicy,
    ) -> None:
        self._chats, self._pages, self._sessions, self._model = chats, pages, sessions, model
        self._broker, self._ender = broker, ender
        self._uow, self._clock, self._policy = uow, clock, policy

    async def __call__(self, message_id: str, attempt: int) -> MessageStatus | None:
        """Runs ``attempt``; returns how the message ended, or None when this attempt did not
        get the message (a duplicate or superseded job) or lost it mid-way."""
        # The claim, the reads the turn needs and its commit are one transaction, the claim
        # first: the reads then see the claimed row, and SQLite never has to turn a read
        # transaction into a write. The claim returns the row it wrote, and the page the
        # model is shown is read here too rather than by the model in a transaction of its
        # own; the session (which never changes while its page exists) comes from this
        # process's session cache once it has read it. BEGIN, the claim, the history, the
        # page, COMMIT are five database round trips before the model starts, where they were
        # nine (P7, docs/architecture.md).
        now = self._clock.now()
        message = await self._chats.update_returning(
            message_id,
            Guard(frozenset({MessageStatus.PENDING}), attempt - 1),
            Changes(
                updated_at=now,
                status=MessageStatus.STREAMING,
                attempt=attempt,
                lease_until=now + timedelta(seconds=self._policy.lease_seconds),
            ),
        )
        session = (
            await session_by_id(self._chats, self._sessions, message.session_id)
            if message
            else None
        )
        if message is None or session is None or message.role is not Role.ASSISTANT:
            await self._uow.rollback()  # not this attempt's (or not a reply): nothing written
            return None
        history = await self._history(message)
        turn = ModelTurn(session, history, await self._pages.get(session.page_id))
        await self._uow.commit()
        try:
            await self._broker.claim(message_id, attempt, self._policy.lease_seconds)
        except StaleAttempt:
            return None
        return await _Run(self, session, message, turn).run()

    async def _history(self, message: Message) -> list[Message]:
        earlier = await self._chats.list_messages(
            message.session_id, limit=self._policy.model_history, before=message.id
        )
        finished = [m for m in earlier if m.status is MessageStatus.COMPLETED]
        return list(reversed(finished))


class _Run:
    """The state of one claimed attempt while it streams."""

    def __init__(self, owner: RunTurn, session: ChatSession, message: Message, turn: ModelTurn):
        self._o = owner
        self._session = session
        self._message = message
        self._turn = turn
        self._fence = Fence(message.id, message.attempt)
        self._sent: list[str] = []
        self._components: list[dict[str, Any]] = []
        self._notes: dict[str, Any] = {}
        self._pending: list[ModelPart] = []
        self._wake = asyncio.Event()
        self._model_done = False
        self._model_error: BaseException | None = None
        self._stop: _Stop | None = None
        self._ended = asyncio.Event()
        # One database session serves the keeper and the run: their writes take turns.
        self._db = asyncio.Lock()

    async def run(self) -> MessageStatus | None:
        producer = asyncio.create_task(self._produce())
        keeper = asyncio.create_task(self._keep())
        try:
            await self._pump()
        except BaseException:
            await _cancel(producer, keeper)
            raise
        # Cancelling the producer aborts the model call. The keeper is let finish instead: a
        # database call cut off half-way could spoil the session the final write needs.
        self._ended.set()
        await _cancel(producer)
        await keeper
        return await self._finish()

    async def _produce(self) -> None:
        try:
            async for part in self._o._model.stream(self._turn):
                self._pending.append(part)
                self._wake.set()
        except Exception as exc:  # the model's failure ends the message as failed
            self._model_error = exc
        finally:
            self._model_done = True
            self._wake.set()

    def _stopped(self) -> bool:
        # A method, not an inline test: the keeper sets ``_stop`` while the pump awaits.
        return self._stop is not None

    async def _pump(self) -> None:
        loop = asyncio.get_running_loop()
        window = self._o._policy.coalesce_seconds
        last_append = float("-inf")
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._stopped():
                return
            wait = last_append + window - loop.time()
            if self._pending and not self._model_done and wait > 0:
                await asyncio.sleep(wait)
                if self._stopped():
                    return
            try:
                if await self._append_pending():
                    last_append = loop.time()
            except RunCancelled:
                self._stop = _Stop.CANCELLED
                return
            except StaleAttempt:
                self._stop = _Stop.LOST
                return
            if self._model_done and not self._pending:
                return

    async def _append_pending(self) -> bool:
        """Appends what the model produced since the last call; False when it was nothing."""
        parts, self._pending = self._pending, []
        text: list[str] = []
        for part in parts:
            if isinstance(part, TextDelta):
                text.append(part.text)
                continue
            if isinstance(part, MetadataPart):
                self._notes.update(part.metadata)
                continue
            await self._append_text("".join(text))
            text = []
            await self._append(EventKind.COMPONENT, {"component": part.component})
            self._components.append(part.component)
        await self._append_text("".join(text))
        return bool(parts)

    async def _append_text(self, delta: str) -> None:
        if delta:
            await self._append(EventKind.CHUNK, {"delta": delta})
            self._sent.append(delta)

    async def _append(self, kind: EventKind, data: dict[str, Any]) -> None:
        draft = EventDraft(kind, {"message_id": self._message.id, **data}, self._message.id)
        await self._o._broker.append(self._session.room, draft, self._fence)

    async def _keep(self) -> None:
        """Renews the lease with a checkpoint of the text sent, and watches for a cancel."""
        interval = self._o._policy.lease_seconds / 3
        while self._stop is None:
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow the task's own cancel.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._ended.wait()
            if self._ended.is_set():
                return
            try:
                stop = await self._renew()
            except (StaleAttempt, RunCancelled):
                stop = _Stop.LOST
            except Exception:  # noqa: S112 - a failed renewal is retried; a lapsed lease is swept
                continue
            if stop is not None:
                self._stop = stop
                self._wake.set()

    async def _renew(self) -> _Stop | None:
        o = self._o
        now = o._clock.now()
        async with self._db:
            held = await o._chats.update_if(
                self._message.id,
                Guard(_STREAMING, self._message.attempt),
                Changes(
                    updated_at=now,
                    lease_until=now + timedelta(seconds=o._policy.lease_seconds),
                    content="".join(self._sent),
                    components=list(self._components),
                ),
            )
            current = await o._chats.get_message(self._message.id)
            await o._uow.commit()
        if not held:
            return _Stop.LOST
        await o._broker.claim(self._message.id, self._message.attempt, o._policy.lease_seconds)
        cancelled = current is not None and current.cancel_requested_at is not None
        if cancelled or await o._broker.cancel_requested(self._message.id):
            return _Stop.CANCELLED
        return None

    async def _finish(self) -> MessageStatus | None:
        if self._stop is _Stop.LOST:
            return None
        metadata = {**self._message.metadata, **self._notes, **self._o._model.label}
        if self._stop is _Stop.CANCELLED:
            status = MessageStatus.CANCELLED
        elif self._model_error is not None:
            status = MessageStatus.FAILED
            # A domain error's detail is written for people (a provider adapter says what went
            # wrong without keys or traces); anything else could carry either, so it is not
            # shown.
            error = self._model_error
            metadata["error"] = (
                error.detail if isinstance(error, DomainError) else "The model failed to answer"
            )
        else:
            status = MessageStatus.COMPLETED
        async with self._db:
            ended = await self._o._ender.end(
                self._session.room,
                self._message,
                Guard(_STREAMING, self._message.attempt),
                status,
                content="".join(self._sent),
                components=self._components,
                metadata=metadata,
            )
        return status if ended is not None else None


async def _cancel(*tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
