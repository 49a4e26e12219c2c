"""The room hub of one API process: one broker listener per room, shared by every local
connection in it, each with a bounded send queue.

A connection (WebSocket or SSE) subscribes from a position: fresh (live from the stream's
head), after a cursor (the missed events, then live), or ``None`` (a snapshot, then live). It
is placed in the room before it reads anything, so every event appended after its read reaches
its queue; what the read already covered is dropped by comparing cursors. In a room whose
listener is still starting (the first connection of the room in this process, such as a client
resuming after its process died), what the connection missed is read and sent at once, and read
again from there once the listener is live. A connection whose queue fills up (a slow client)
stops being fed and catches up from the stream after its last delivered cursor, so memory
stays bounded. A listener that fails or reports lost history is
restarted and every connection of the room catches up the same way.

A room whose last connection left keeps its listener ``linger_seconds`` longer: a client that
drops and comes back (the usual resume) finds it ready instead of waiting for a new one (a
SUBSCRIBE on Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

import msgspec
import structlog

from entrypoints.runtime.tracing import traced_delivery
from mocheong_core.chat.ports import StreamBroker
from mocheong_core.chat.replay import LiveFilter, Replay
from mocheong_core.chat.stream import HISTORY_LOST, EventKind, Position, StreamEvent

Deliver = Callable[[StreamEvent, str], Awaitable[None]]
"""Sends one event to the client; the ``str`` is the event's WebSocket frame, encoded once."""
ReplayFrom = Callable[[str | None], Awaitable[Replay]]
"""What the client missed after a cursor (a snapshot for None): ``ReplayRoom`` in a scope."""

FRESH: Final = "fresh"
"""Subscribe from the stream's head: live events only."""

log = structlog.get_logger("mocheong.chat.rooms")
_RESYNC: Final = object()
_RETRY_SECONDS = 1.0
_encode = msgspec.json.Encoder().encode


def frame_text(event: StreamEvent) -> str:
    return _encode(event.wire()).decode()


_Item = tuple[StreamEvent, str, Position | None]


class Subscriber:
    """One connection's place in a room: a bounded queue the room's listener fills and a task
    (``run``) that drains it into the connection.

    The queue is a deque with one waiter rather than an ``asyncio.Queue``: a room offers each
    event to every subscriber, so what one offer and one take cost is paid per frame sent.
    """

    __slots__ = (
        "_at",
        "_behind",
        "_cursor",
        "_deliver",
        "_filter",
        "_items",
        "_limit",
        "_replay",
        "_room",
        "_waiter",
    )

    def __init__(self, room: _Room, deliver: Deliver, replay: ReplayFrom, queue_size: int) -> None:
        self._room = room
        self._deliver = traced_delivery(deliver)
        self._replay = replay
        self._items: deque[_Item | object] = deque()
        self._limit = queue_size
        self._waiter: asyncio.Future[None] | None = None
        self._behind = False
        self._filter: LiveFilter | None = None
        self._cursor: str | None = None
        self._at: Position | None = None

    def offer(self, item: _Item | object) -> None:
        if self._behind:
            return
        if len(self._items) < self._limit:
            self._items.append(item)
        else:
            self._behind = True  # the run loop sees it and catches up from the stream
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def resync(self) -> None:
        self.offer(_RESYNC)

    async def run(self, start: str | None) -> None:
        self._cursor = start
        if not self._room.ready.is_set():
            # What the client missed goes out at once, while the room's listener starts (a
            # SUBSCRIBE and a read of the stream's position, behind every other room's); the
            # read once it is ready covers whatever was appended in between.
            await self._recover()
            await self._room.ready.wait()
        await self._recover()
        items = self._items
        loop = asyncio.get_running_loop()
        while True:
            if self._behind:
                await self._recover()
                continue
            if not items:
                self._waiter = waiter = loop.create_future()
                await waiter
                continue
            item = items.popleft()
            if not isinstance(item, tuple):
                await self._recover()
                continue
            event, text, position = item
            at = self._at
            if position is None or at is None or position.epoch != at.epoch:
                await self._recover()  # the stream was replaced: history decides what is lost
            elif position.follows(at):
                if self._filter is None or self._filter.admits(event):
                    await self._deliver(event, text)
                self._cursor, self._at = event.cursor, position

    async def _recover(self) -> None:
        # Forget the queue and accept again, THEN read: whatever is appended after the read
        # arrives through the queue, and the read covers the rest.
        self._items.clear()
        self._behind = False
        while True:
            try:
                await self._catch_up(self._cursor)
                return
            except Exception as exc:  # the database or broker may be down: try again shortly
                log.warning("chat_catch_up_failed", room=self._room.name, error=repr(exc))
                await asyncio.sleep(_RETRY_SECONDS)

    async def _catch_up(self, after: str | None) -> None:
        while True:
            replay = await self._replay(after)
            for event in replay.events:
                if replay.snapshot:
                    await self._deliver(event, frame_text(event))
                else:
                    await self._send(event, frame_text(event))
            if replay.snapshot:
                self._filter = replay.live_filter()
            self._move_to(replay.head)
            if not replay.more:
                return
            after = replay.head

    async def _send(self, event: StreamEvent, text: str) -> None:
        if self._filter is None or self._filter.admits(event):
            await self._deliver(event, text)

    def _move_to(self, cursor: str, position: Position | None = None) -> None:
        self._cursor = cursor
        self._at = position or Position.parse(cursor)


class _Room:
    def __init__(self, name: str, broker: StreamBroker) -> None:
        self.name = name
        self.broker = broker
        self.subscribers: set[Subscriber] = set()
        self.ready = asyncio.Event()
        self.task = asyncio.create_task(self._listen(), name=f"room:{name}")
        self.closing: asyncio.Task[None] | None = None

    async def _listen(self) -> None:
        restarted = False
        while True:
            try:
                async with self.broker.listen(self.name) as events:
                    self.ready.set()
                    if restarted:
                        self._resync()
                    async for event in events:
                        if _history_lost(event):
                            self._resync()
                            continue
                        item = (event, frame_text(event), Position.parse(event.cursor))
                        for subscriber in self.subscribers:
                            subscriber.offer(item)
            except Exception as exc:
                log.warning("chat_room_listener_failed", room=self.name, error=repr(exc))
            self.ready.clear()
            restarted = True
            await asyncio.sleep(_RETRY_SECONDS)

    def _resync(self) -> None:
        for subscriber in self.subscribers:
            subscriber.resync()


def _history_lost(event: StreamEvent) -> bool:
    return (
        event.kind is EventKind.RESET
        and event.message_id is None
        and event.data.get("reason") == HISTORY_LOST
    )


class RoomHub:
    def __init__(
        self, broker: StreamBroker, *, queue_size: int, linger_seconds: float = 0.0
    ) -> None:
        self._broker = broker
        self._queue_size = queue_size
        self._linger = linger_seconds
        self._rooms: dict[str, _Room] = {}

    @property
    def rooms(self) -> int:
        return len(self._rooms)

    @asynccontextmanager
    async def subscribe(
        self, room: str, deliver: Deliver, replay: ReplayFrom, start: str | None
    ) -> AsyncIterator[asyncio.Task[None]]:
        """Feeds ``deliver`` from ``start`` (``FRESH``, a cursor, or None for a snapshot)
        until the context ends; yields the feeding task (it ends only by failing)."""
        if start == FRESH:
            # Pinned before the caller tells its client it joined, so whatever the client
            # causes next (its own message, say) lies after this cursor and is delivered.
            start = await self._broker.head(room)
        hub_room = self._rooms.get(room)
        if hub_room is None:
            hub_room = self._rooms[room] = _Room(room, self._broker)
        elif hub_room.closing is not None:
            hub_room.closing.cancel()
            hub_room.closing = None
        subscriber = Subscriber(hub_room, deliver, replay, self._queue_size)
        hub_room.subscribers.add(subscriber)
        task = asyncio.create_task(subscriber.run(start), name=f"subscriber:{room}")
        try:
            yield task
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            hub_room.subscribers.discard(subscriber)
            if not hub_room.subscribers and self._rooms.get(room) is hub_room:
                if self._linger > 0:
                    hub_room.closing = asyncio.create_task(self._close_later(hub_room))
                else:
                    del self._rooms[room]
                    await _stop(hub_room.task)

    async def _close_later(self, hub_room: _Room) -> None:
        await asyncio.sleep(self._linger)
        if not hub_room.subscribers and self._rooms.get(hub_room.name) is hub_room:
            del self._rooms[hub_room.name]
            await _stop(hub_room.task)

    async def close(self) -> None:
        rooms, self._rooms = list(self._rooms.values()), {}
        for hub_room in rooms:
            if hub_room.closing is not None:
                await _stop(hub_room.closing)
            await _stop(hub_room.task)


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
