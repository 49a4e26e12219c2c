"""What a client missed: the stream's events after its cursor or, when the stream no longer
holds that position, a snapshot from the database.

A snapshot starts with a ``stream-reset`` without ``message_id`` (``reason: "snapshot"``:
whatever the client holds is replaced), then the room's latest stored messages as
``newMessage`` frames, and for each message still streaming a ``stream-reset`` followed by its
current attempt's chunks when the stream still holds them from ``seq`` 1. Every snapshot
frame carries ``RESYNC_CURSOR`` except the last, which carries the stream's head: a client cut
off half-way through a snapshot gets the whole snapshot again, one that got all of it
continues live from the head.
"""

from __future__ import annotations

import attrs

from mocheong_core.chat.model import ChatSession, Message, MessageStatus, Role
from mocheong_core.chat.policy import ChatPolicy
from mocheong_core.chat.ports import ChatRepository, StreamBroker
from mocheong_core.chat.stream import EventKind, StreamEvent
from mocheong_core.kernel.uow import UnitOfWork

RESYNC_CURSOR = "resync"
"""A cursor no broker can place: resuming from it always yields a fresh snapshot."""
SNAPSHOT = "snapshot"
"""``reason`` of the ``stream-reset`` a snapshot sends before a streaming message's chunks."""
_PARTS = frozenset({EventKind.CHUNK, EventKind.COMPONENT})


@attrs.frozen
class Replay:
    events: list[StreamEvent]
    head: str
    """Where to continue from: live events at or before it are already covered."""
    more: bool = False
    """The page was full: ask again after ``head``."""
    snapshot: bool = False
    """The events are a snapshot: delivered as they are, and they replace the live filter."""
    settled: frozenset[str] = frozenset()
    """Messages the snapshot delivered final: later events about them are dropped."""
    muted: frozenset[str] = frozenset()
    """Streaming messages whose chunks the snapshot could not rebuild."""

    def live_filter(self) -> LiveFilter:
        return LiveFilter(self.settled, self.muted)


class LiveFilter:
    """Drops the live events a snapshot made redundant or could not make whole: anything
    about a message it delivered final, and the chunks of a muted message until that message
    restarts (``seq`` 1, a reset) or ends."""

    def __init__(self, settled: frozenset[str], muted: frozenset[str]) -> None:
        self._settled = settled
        self._muted = set(muted)

    def admits(self, event: StreamEvent) -> bool:
        message_id = event.message_id
        if message_id is None:
            return True
        if message_id in self._settled:
            return False
        if message_id in self._muted:
            if event.kind in _PARTS and event.seq != 1:
                return False
            self._muted.discard(message_id)
        return True


class ReplayRoom:
    """Events of ``session``'s room after ``after``; the caller has checked access."""

    def __init__(
        self, chats: ChatRepository, broker: StreamBroker, uow: UnitOfWork, policy: ChatPolicy
    ) -> None:
        self._chats, self._broker, self._uow, self._policy = chats, broker, uow, policy

    async def __call__(self, session: ChatSession, after: str | None) -> Replay:
        if after is not None and after != RESYNC_CURSOR:
            limit = self._policy.history_page
            history = await self._broker.history(session.room, after, limit)
            if history.complete:
                head = history.events[-1].cursor if history.events else after
                return Replay(history.events, head, more=len(history.events) >= limit)
        return await self.snapshot(session)

    async def snapshot(self, session: ChatSession) -> Replay:
        # The stream is read before the database: whatever the stream holds up to its head
        # was written to the database first, so the messages read next are at least as new.
        head = await self._broker.head(session.room)
        retained = await self._retained(session.room)
        if retained:
            head = retained[-1].cursor
        newest_first = await self._chats.list_messages(
            session.id, limit=self._policy.snapshot_messages
        )
        await self._uow.commit()  # ends the read: a long-lived stream must not hold a connection
        frames = [StreamEvent(EventKind.RESET, {"reason": SNAPSHOT}, RESYNC_CURSOR)]
        settled: set[str] = set()
        muted: set[str] = set()
        for message in reversed(newest_first):
            if message.status.final:
                frames.append(_frame(EventKind.MESSAGE, message, message.wire()))
                settled.add(message.id)
            elif message.role is Role.ASSISTANT and message.status is MessageStatus.STREAMING:
                frames.append(
                    _frame(EventKind.RESET, message, {"message_id": message.id, "reason": SNAPSHOT})
                )
                parts = [e for e in retained if _part_of(e, message)]
                if parts and [e.seq for e in parts] == list(range(1, len(parts) + 1)):
                    frames.extend(parts)
                else:
                    muted.add(message.id)
        frames = [attrs.evolve(frame, cursor=RESYNC_CURSOR) for frame in frames]
        frames[-1] = attrs.evolve(frames[-1], cursor=head)
        return Replay(
            frames, head, snapshot=True, settled=frozenset(settled), muted=frozenset(muted)
        )

    async def _retained(self, room: str) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        after: str | None = None
        limit = self._policy.history_page
        while True:
            page = await self._broker.history(room, after, limit)
            if after is not None and not page.complete:
                return events  # the stream changed under the read; what was read stays valid
            events.extend(page.events)
            if len(page.events) < limit:
                return events
            after = page.events[-1].cursor


def _part_of(event: StreamEvent, message: Message) -> bool:
    return (
        event.message_id == message.id and event.kind in _PARTS and event.attempt == message.attempt
    )


def _frame(kind: EventKind, message: Message, data: dict[str, object]) -> StreamEvent:
    return StreamEvent(kind, dict(data), RESYNC_CURSOR, message.id, message.attempt)
