"""``SweepTurns``: nothing stays ``pending`` or ``streaming`` after its runner is gone.

A message whose lease ended is retried (a ``stream-reset`` tells clients to drop the partial
text, and the next attempt is queued) until ``max_attempts``, then ended ``failed``; one with a
cancel request is ended ``cancelled`` with its last checkpoint. Every step is a conditional
write on the attempt and the lapsed lease, so sweepers in several processes, a runner that
comes back to life and a late job cannot both win.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.errors import StaleAttempt
from mocheong_core.chat.model import ChatSession, Message, MessageStatus
from mocheong_core.chat.policy import RUN_TURN, ChatPolicy, run_job_id
from mocheong_core.chat.ports import Changes, ChatRepository, Guard, StreamBroker
from mocheong_core.chat.stream import EventDraft, EventKind
from mocheong_core.errors import ServiceUnavailable
from mocheong_core.jobs.ports import JobQueue
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.uow import UnitOfWork

WORKER_LOST = "worker_lost"
"""``reason`` of the ``stream-reset`` sent when a run is retried after its runner vanished."""


class SweepTurns:
    def __init__(
        self,
        chats: ChatRepository,
        broker: StreamBroker,
        queue: JobQueue,
        ender: MessageEnder,
        uow: UnitOfWork,
        clock: Clock,
        policy: ChatPolicy,
    ) -> None:
        self._chats, self._broker, self._queue, self._ender = chats, broker, queue, ender
        self._uow, self._clock, self._policy = uow, clock, policy

    async def __call__(self) -> int:
        """Sweeps one batch; returns how many messages it retried or ended."""
        now = self._clock.now()
        expired = await self._chats.expired(now, self._policy.sweep_batch)
        await self._uow.commit()
        swept = 0
        for message in expired:
            session = await self._chats.get_session(message.session_id)
            await self._uow.commit()
            if session is not None and await self._sweep(session, message):
                swept += 1
        return swept

    async def _sweep(self, session: ChatSession, message: Message) -> bool:
        now = self._clock.now()
        guard = Guard(frozenset({message.status}), message.attempt, lease_ended_by=now)
        # A streaming attempt used its number; a pending one's job never claimed it, so that
        # number is spent too (a late job for it then finds the message taken).
        started = message.status is MessageStatus.STREAMING
        spent = message.attempt if started else message.attempt + 1
        cancelled = message.cancel_requested_at is not None or (
            await self._broker.cancel_requested(message.id)
        )
        if cancelled or spent >= self._policy.max_attempts:
            status = MessageStatus.CANCELLED if cancelled else MessageStatus.FAILED
            metadata = dict(message.metadata)
            if not cancelled:
                metadata["error"] = "The reply could not be produced; send the message again"
            ended = await self._ender.end(
                session.room,
                message,
                guard,
                status,
                content=message.content,
                metadata=metadata,
                fence_out=spent + 1,
                lease_seconds=self._policy.lease_seconds,
            )
            return ended is not None
        retried = await self._chats.update_if(
            message.id,
            guard,
            Changes(
                updated_at=now,
                status=MessageStatus.PENDING,
                attempt=spent,
                lease_until=now + timedelta(seconds=self._policy.pending_timeout_seconds),
            ),
        )
        await self._uow.commit()
        if not retried:
            return False
        following = spent + 1
        # The lost attempt is fenced out of the stream before clients are told to forget it
        # (a newer attempt holding the fence keeps it out just as well).
        with contextlib.suppress(StaleAttempt):
            await self._broker.claim(message.id, following, self._policy.lease_seconds)
        if started:
            reset = {"message_id": message.id, "reason": WORKER_LOST}
            await self._broker.append(session.room, EventDraft(EventKind.RESET, reset, message.id))
        # A queue that is down leaves the message pending with a new lease: swept again later.
        with contextlib.suppress(ServiceUnavailable):
            await self._queue.enqueue(
                RUN_TURN,
                {"message_id": message.id, "attempt": following},
                job_id=run_job_id(message.id, following),
            )
        return True
