"""Chat use cases the delivery shells call: open a session, submit, cancel, read history."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import attrs

from mocheong_core.chat.access import ChatAccess
from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.model import (
    ChatSession,
    Message,
    MessageStatus,
    Role,
    Turn,
    validate_submission,
)
from mocheong_core.chat.policy import RUN_TURN, ChatPolicy, run_job_id
from mocheong_core.chat.ports import Changes, ChatRepository, Guard, StreamBroker, TurnStore
from mocheong_core.chat.stream import EventDraft, EventKind
from mocheong_core.errors import FieldError, ServiceUnavailable, ValidationFailed
from mocheong_core.jobs.ports import JobQueue
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.ratelimit import Limit, RateLimiter, enforce
from mocheong_core.kernel.uow import UnitOfWork


class OpenSession:
    """The session of a page (``page_id``), a room (``room``) or by id, for its owner."""

    def __init__(self, access: ChatAccess) -> None:
        self._access = access

    async def __call__(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        page_id: str | None = None,
        room: str | None = None,
    ) -> ChatSession:
        if session_id is not None:
            return await self._access.session(user_id, session_id)
        if page_id is not None:
            return await self._access.session_for_page(user_id, page_id)
        if room is not None:
            return await self._access.session_for_room(user_id, room)
        raise ValidationFailed([FieldError("page_id", "give a page_id or a session_id")])


@attrs.frozen
class Accepted:
    turn: Turn
    created: bool
    """False when the ``client_message_id`` was seen before: nothing new was started."""


class Submit:
    """Stores the user's message and a pending reply in one transaction, tells the room, and
    queues the run. The same ``client_message_id`` again returns the first turn unchanged."""

    def __init__(
        self,
        open_session: OpenSession,
        chats: ChatRepository,
        turns: TurnStore,
        broker: StreamBroker,
        queue: JobQueue,
        limiter: RateLimiter,
        uow: UnitOfWork,
        clock: Clock,
        policy: ChatPolicy,
    ) -> None:
        self._open, self._chats, self._turns = open_session, chats, turns
        self._broker, self._queue = broker, queue
        self._limiter, self._uow, self._clock, self._policy = limiter, uow, clock, policy

    async def __call__(
        self,
        user_id: str,
        text: str,
        *,
        session_id: str | None = None,
        page_id: str | None = None,
        room: str | None = None,
        client_message_id: str | None = None,
    ) -> Accepted:
        content = validate_submission(text, client_message_id, self._policy.max_message_chars)
        await enforce(
            self._limiter, f"chat:user:{user_id}", Limit(self._policy.submits_per_minute, 60)
        )
        session = await self._open(user_id, session_id=session_id, page_id=page_id, room=room)
        now = self._clock.now()
        user = Message(
            id=new_id(),
            session_id=session.id,
            role=Role.USER,
            status=MessageStatus.COMPLETED,
            content=content,
            created_at=now,
            updated_at=now,
            client_message_id=client_message_id,
        )
        assistant = Message(
            id=new_id(),
            session_id=session.id,
            role=Role.ASSISTANT,
            status=MessageStatus.PENDING,
            content="",
            created_at=now,
            updated_at=now,
            reply_to=user.id,
            lease_until=now + timedelta(seconds=self._policy.pending_timeout_seconds),
        )
        # This request's reads are done: its connection goes back before the turn is handed
        # over, so the store never waits on a connection a waiting request holds.
        await self._uow.commit()
        if not await self._turns.store(user, assistant):
            # This client id was stored before (a retry), or by a concurrent submit: the
            # first turn is the answer, and nothing new starts. (The rollback ends this
            # request's read snapshot, so the other submit's commit is visible.)
            await self._uow.rollback()
            seen = await self._chats.find_turn(session.id, client_message_id or "")
            if seen is None:
                raise ServiceUnavailable("The message could not be stored; send it again")
            return Accepted(Turn(session, *seen), created=False)
        # The room hears of the message and its run is queued, issued in that order and
        # awaited together: where both live on one Redis they share its round trip, in order.
        await asyncio.gather(
            self._broker.append(session.room, EventDraft(EventKind.MESSAGE, user.wire(), user.id)),
            self._queue_run(assistant),
        )
        return Accepted(Turn(session, user, assistant), created=True)

    async def _queue_run(self, assistant: Message) -> None:
        # A queue that is down leaves the reply pending: the sweeper queues it when its lease
        # ends.
        with contextlib.suppress(ServiceUnavailable):
            await self._queue.enqueue(
                RUN_TURN,
                {"message_id": assistant.id, "attempt": 1},
                job_id=run_job_id(assistant.id, 1),
            )


class Cancel:
    """Stops an assistant message from any process. A pending one ends here at once; a
    streaming one is ended by its runner (or, if that died, by the sweeper) with the partial
    text. A finished message is left as it is."""

    def __init__(
        self,
        access: ChatAccess,
        chats: ChatRepository,
        broker: StreamBroker,
        ender: MessageEnder,
        uow: UnitOfWork,
        clock: Clock,
        policy: ChatPolicy,
    ) -> None:
        self._access, self._chats, self._broker, self._ender = access, chats, broker, ender
        self._uow, self._clock, self._policy = uow, clock, policy

    async def __call__(self, user_id: str, message_id: str) -> Message:
        session, message = await self._access.message(user_id, message_id)
        if message.role is not Role.ASSISTANT or message.status.final:
            return message
        await self._broker.request_cancel(message.id)
        now = self._clock.now()
        in_flight = frozenset({MessageStatus.PENDING, MessageStatus.STREAMING})
        await self._chats.update_if(
            message.id, Guard(in_flight), Changes(updated_at=now, cancel_requested_at=now)
        )
        await self._uow.commit()
        if message.status is MessageStatus.PENDING:
            ended = await self._ender.end(
                session.room,
                message,
                Guard(frozenset({MessageStatus.PENDING}), message.attempt),
                MessageStatus.CANCELLED,
                content="",
                fence_out=message.attempt + 1,
                lease_seconds=self._policy.lease_seconds,
            )
            if ended is not None:
                return ended
        return await self._chats.get_message(message.id) or message


class ListMessages:
    def __init__(self, access: ChatAccess, chats: ChatRepository) -> None:
        self._access, self._chats = access, chats

    async def __call__(
        self, user_id: str, session_id: str, *, limit: int, cursor: str | None
    ) -> CursorPage[Message]:
        await self._access.session(user_id, session_id)
        items = await self._chats.list_messages(session_id, limit=limit + 1, before=cursor)
        more = len(items) > limit
        items = items[:limit]
        return CursorPage(items, items[-1].id if more else None)
