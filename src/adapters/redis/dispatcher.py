"""``RedisRoomDispatcher``: one pub/sub connection per process for every listened chat room.

Pub/sub is at-most-once, so it is only trusted as a doorbell. Each notice names its entry and
the entry before it; when the one before is not the last entry this process delivered for the
room, the gap is read from the room's stream first. A watchdog PINGs the connection when it is
quiet and drops it if nothing (not even the PONG) comes back, because a half-open TCP
connection never reports an error by itself. After every reconnect each room catches up from
the stream. Each listener has a bounded queue; a listener that falls behind stops receiving
from the connection and catches up from the stream on its own once it has drained its queue.

A room is positioned (its epoch and last entry read) once its SUBSCRIBE is confirmed, off the
read loop and together with every other room confirmed meanwhile, in one round trip: when an
API process dies its clients resume on the others at once, each the first of its room there,
and reading one room's position after another in the read loop held up every room's start and
every live notice behind them. A notice that comes before its room is positioned is dropped and
the room's listeners catch up from the position instead.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from adapters.redis.stream_layout import (
    ZERO,
    Entry,
    EntryId,
    RoomReader,
    StreamKeys,
    decode_notice,
    history_lost,
    just_before,
    text,
)
from mocheong_core.chat.stream import StreamEvent
from mocheong_core.errors import ServiceUnavailable

log = structlog.get_logger("mocheong.chat.redis")

_BATCH = 500


async def replay(reader: RoomReader, room: str, epoch: str, last: EntryId) -> AsyncIterator[Entry]:
    """Every entry after (epoch, last) in order, with a ``history_lost`` reset first when some
    of them are gone; ends at the current end of the stream."""
    while True:
        page = await reader.after(room, epoch, last, _BATCH)
        if not page.continuous:
            if page.epoch is None:
                epoch, last = (await reader.position(room))[0], ZERO
            elif page.epoch != epoch:
                epoch, last = page.epoch, ZERO
            elif page.entries:
                last = just_before(page.entries[0].id)
            yield history_lost(epoch, last)
            continue
        for entry in page.entries:
            yield entry
            last = entry.id
        if len(page.entries) < _BATCH:
            return


class _Listener:
    """A room's listener in this process: a bounded queue the connection's reader fills (a
    deque and one waiter: cheaper per event than an ``asyncio.Queue``) and ``events``."""

    __slots__ = ("_items", "_lagging", "_limit", "_reader", "_room", "_waiter", "epoch", "last")

    def __init__(self, reader: RoomReader, room: str, queue_size: int) -> None:
        self._reader = reader
        self._room = room
        self._items: deque[Entry] = deque()
        self._limit = queue_size
        self._waiter: asyncio.Future[None] | None = None
        self.epoch = ""
        self.last: EntryId | None = None
        self._lagging = False

    def place(self, epoch: str, last: EntryId) -> None:
        self.epoch, self.last = epoch, last

    def offer(self, entry: Entry) -> None:
        # Never blocks the connection: a full queue turns this listener to catching up.
        if self._lagging:
            return
        if len(self._items) >= self._limit:
            self._lagging = True
            return
        self._items.append(entry)
        self._wake()

    def lag(self) -> None:
        """Some of the room's entries were not offered: catch up from the stream."""
        self._lagging = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def events(self) -> AsyncIterator[StreamEvent]:
        items = self._items
        loop = asyncio.get_running_loop()
        while True:
            if self._lagging and not items:
                # Cleared before reading, so whatever arrives meanwhile is queued again and
                # dropped below as already seen.
                self._lagging = False
                async for entry in self._catch_up():
                    yield entry.event
                continue
            if not items:
                self._waiter = waiter = loop.create_future()
                await waiter
                continue
            entry = items.popleft()
            if entry.epoch != self.epoch and not entry.reset:
                # Only possible if a reset was skipped while lagging: the stream settles it.
                async for caught in self._catch_up():
                    yield caught.event
            elif entry.epoch == self.epoch and self.last is not None and entry.id <= self.last:
                continue  # already delivered, or a reset this listener's catch-up went past
            else:
                self.place(entry.epoch, entry.id)
                yield entry.event

    async def _catch_up(self) -> AsyncIterator[Entry]:
        async for entry in replay(self._reader, self._room, self.epoch, self.last or ZERO):
            self.place(entry.epoch, entry.id)
            yield entry


class _Room:
    def __init__(self, room: str) -> None:
        self.room = room
        self.listeners: set[_Listener] = set()
        self.epoch = ""
        self.last: EntryId | None = None  # None until positioned after the first SUBSCRIBE
        self.missed = False  # a notice came before the room was positioned
        self.ready = asyncio.Event()

    def deliver(self, entry: Entry) -> None:
        self.epoch, self.last = entry.epoch, entry.id
        for listener in self.listeners:
            listener.offer(entry)


class RedisRoomDispatcher:
    """Live delivery of chat rooms for one process; started by the first ``listen``."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str,
        ttl_seconds: int,
        ping_interval: float = 1.0,
        queue_size: int = 1000,
        subscribe_timeout: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._redis = redis
        self._keys = StreamKeys(prefix)
        self._reader = RoomReader(redis, self._keys, ttl_seconds * 1000)
        self._ping_interval = ping_interval
        self._queue_size = queue_size
        self._subscribe_timeout = subscribe_timeout
        self._max_backoff = max_backoff
        self._rooms: dict[str, _Room] = {}
        self._pending: defaultdict[str, int] = defaultdict(int)
        self._unplaced: dict[str, _Room] = {}
        self._confirmed = asyncio.Event()
        self._link: AbstractConnection | None = None
        self._send_lock = asyncio.Lock()
        self._last_seen = 0.0
        self._heard = False
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.connections = 0  # connections made so far; tests and chaos runs watch it

    @asynccontextmanager
    async def listen(self, room: str) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        if self._closed:
            raise ServiceUnavailable("live chat delivery is shut down")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="chat-room-dispatcher")
        channel = self._keys.channel(room)
        state = self._rooms.get(channel)
        if state is None:
            state = self._rooms[channel] = _Room(room)
            await self._subscribe(channel)
        listener = _Listener(self._reader, room, self._queue_size)
        state.listeners.add(listener)
        if state.last is not None:
            listener.place(state.epoch, state.last)
        try:
            try:
                # Not wait_for: on Python 3.11 it can swallow a cancel that comes as the wait
                # ends, and a room that is being left would then listen forever.
                async with asyncio.timeout(self._subscribe_timeout):
                    await state.ready.wait()
            except TimeoutError:
                raise ServiceUnavailable("live chat delivery is unavailable") from None
            yield listener.events()
        finally:
            state.listeners.discard(listener)
            if not state.listeners and self._rooms.get(channel) is state:
                del self._rooms[channel]
                await self._send_quietly("UNSUBSCRIBE", channel)

    async def aclose(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def disconnect(self) -> None:
        """Drops the current connection, as a network fault would; it is made again."""
        link = self._link
        if link is not None:
            await link.disconnect(nowait=True)

    async def _subscribe(self, channel: str) -> None:
        if self._link is not None:
            self._pending[channel] += 1
            await self._send_quietly("SUBSCRIBE", channel)

    async def _send_quietly(self, *args: str) -> None:
        # A failed send means a dead connection: the reader notices and resubscribes all.
        link = self._link
        if link is None:
            return
        with suppress(RedisError, OSError):
            async with self._send_lock:
                await link.send_command(*args, check_health=False)

    def _new_link(self) -> AbstractConnection:
        pool = self._redis.connection_pool
        options = dict(pool.connection_kwargs)
        # Our own watchdog replaces redis-py's health check, which would read a reply that
        # belongs to the subscription; reads block until a message comes.
        options.update(
            health_check_interval=0,
            socket_timeout=None,
            socket_keepalive=True,
            client_name=f"{self._keys.prefix}chat-dispatcher",
        )
        return pool.connection_class(**options)

    async def _run(self) -> None:
        delay = 0.05
        while not self._closed:
            link = self._new_link()
            self._heard = False
            try:
                await link.connect()  # type: ignore[no-untyped-call]
                self.connections += 1
                await self._serve(link)
            except Exception as exc:  # whatever happened, live delivery must come back
                log.warning("chat_dispatcher_connection_failed", error=repr(exc))
            finally:
                self._link = None
                await link.disconnect(nowait=True)
            if self._heard:
                delay = 0.05
            await asyncio.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, self._max_backoff)

    async def _serve(self, link: AbstractConnection) -> None:
        """Reads the connection until it fails or goes silent."""
        self._link = link
        self._send_lock = asyncio.Lock()
        self._pending.clear()
        self._unplaced.clear()
        self._last_seen = asyncio.get_running_loop().time()
        channels = list(self._rooms)
        for channel in channels:
            self._pending[channel] += 1
        if channels:
            async with self._send_lock:
                await link.send_command("SUBSCRIBE", *channels, check_health=False)
        reading = asyncio.create_task(self._read(link))
        watching = asyncio.create_task(self._watch(link))
        placing = asyncio.create_task(self._place())
        tasks = (reading, watching, placing)
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        failed = placing if placing in done else reading
        reason = "silent" if watching in done else repr(failed.exception())
        log.warning("chat_dispatcher_reconnecting", reason=reason)

    async def _read(self, link: AbstractConnection) -> None:
        loop = asyncio.get_running_loop()
        while True:
            response = await link.read_response()
            self._last_seen = loop.time()
            self._heard = True
            if not isinstance(response, list) or len(response) < 3:
                continue  # PONG
            kind = text(response[0])
            if kind == "message":
                await self._on_notice(text(response[1]), response[2])
            elif kind == "subscribe":
                await self._on_subscribed(text(response[1]))

    async def _watch(self, link: AbstractConnection) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._ping_interval)
            quiet = loop.time() - self._last_seen
            if quiet > 3 * self._ping_interval:
                return
            if quiet >= self._ping_interval:
                try:
                    async with self._send_lock:
                        await link.send_command("PING", check_health=False)
                except (RedisError, OSError):
                    return

    async def _on_subscribed(self, channel: str) -> None:
        self._pending[channel] -= 1
        state = self._rooms.get(channel)
        if state is None or self._pending[channel] > 0:
            return  # left meanwhile, or a later SUBSCRIBE of the same room is still on its way
        if state.last is None:
            self._unplaced[channel] = state
            self._confirmed.set()
        else:
            await self._catch_up(state)

    async def _place(self) -> None:
        """Positions the rooms whose SUBSCRIBE was confirmed: all those waiting, in one round
        trip; those confirmed meanwhile go in the next. Fails (and the connection is made
        again) when Redis does."""
        while True:
            await self._confirmed.wait()
            self._confirmed.clear()
            batch, self._unplaced = self._unplaced, {}
            rooms = [room for channel, room in batch.items() if self._rooms.get(channel) is room]
            if not rooms:
                continue
            positions = await self._reader.positions([room.room for room in rooms])
            for room, (epoch, last) in zip(rooms, positions, strict=True):
                room.epoch, room.last = epoch, last
                for listener in room.listeners:
                    if listener.last is None:
                        listener.place(epoch, last)
                    if room.missed:
                        listener.lag()
                room.missed = False
                room.ready.set()

    async def _on_notice(self, channel: str, payload: bytes) -> None:
        state = self._rooms.get(channel)
        if state is None:
            return
        if state.last is None:
            # Its position is being read: this entry may lie after it, so the room's
            # listeners will read the stream from there.
            state.missed = True
            return
        notice = decode_notice(payload)
        if notice.epoch == state.epoch:
            if notice.entry.id <= state.last:
                return
            if notice.prev == state.last:
                state.deliver(notice.entry)
                return
        await self._catch_up(state)

    async def _catch_up(self, state: _Room) -> None:
        async for entry in replay(self._reader, state.room, state.epoch, state.last or ZERO):
            state.deliver(entry)
