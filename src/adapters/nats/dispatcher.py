"""``NatsRoomDispatcher``: one JetStream consumer per process for every listened chat room.

The process holds one ordered push consumer over every room's subjects (``<prefix>.chat.r.>``,
acknowledgements off, flow control and idle heartbeats on) and hands each entry to the local
listeners of its room; an entry of a room nobody here listens to costs a look at its subject.
Listening to a room is a local registration: no request to the server, however many rooms
join at once (thousands after another process died).

Order and gaps: the consumer delivers the stream in order and numbers its deliveries; a
delivery whose number is not the next one, or a heartbeat that names a later one, means an
entry was lost on the way (a slow subscription, a reconnect), and the consumer is made again
after the last stream sequence this process dispatched. The first consumer starts after the
stream's last sequence read when the process first listens, so every entry appended once a
listener is in is dispatched.

Dead connections: the server sends a heartbeat every ``heartbeat`` seconds of quiet. Three of
them missed and the connection is checked with a PING: no PONG and the client is made to
reconnect (a half-open TCP connection never reports an error by itself); a PONG means the
consumer is gone (the stream was deleted, the server restarted) and it is made again. After
every reconnect the stream's epoch is read before the consumer is made again: a stream that
was lost or made anew gives every listener a ``stream-reset`` with ``HISTORY_LOST``, and the
new consumer starts at the new stream's first entry.

Bounded memory: each listener has a bounded queue. A listener that falls behind stops being
fed and, once it has drained its queue, reads what it missed from the stream itself (direct
gets of its room's entries after its last cursor) before taking from the queue again.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Protocol

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import api

from adapters.nats.connection import honour_cancellation, token
from mocheong_core.chat.stream import HISTORY_LOST, EventKind, Position, StreamEvent
from mocheong_core.errors import ServiceUnavailable

log = structlog.get_logger("mocheong.chat.nats")

_BATCH = 500
_STATUS = "Status"
_LAST_CONSUMER = "Nats-Last-Consumer"
_STALLED = "Nats-Consumer-Stalled"
_ACK_TOKENS_V1 = 9  # $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.…


class RoomStore(Protocol):
    """What the dispatcher reads from the chat stream (``NatsStreamBroker``)."""

    @property
    def stream(self) -> str: ...

    async def state(self) -> tuple[str, int, int]:
        """(epoch, first sequence, last sequence) of the stream, made if it is missing."""
        ...

    async def read(self, room: str, epoch: str, start: int, limit: int) -> list[StreamEvent]:
        """Up to ``limit`` events of the room from stream sequence ``start`` on."""
        ...

    def decode(self, epoch: str, seq: int, payload: bytes) -> StreamEvent | None:
        """The event of one stored entry (None for an entry that is no event)."""
        ...


def reader_config(inbox: str, subjects: str, start: int, heartbeat: float) -> api.ConsumerConfig:
    """A push consumer that reads ``subjects`` from stream sequence ``start`` into ``inbox``:
    nothing acknowledged or redelivered, flow-controlled, with heartbeats (so a silent gap
    shows), kept in memory on one server: a reader's, not a worker's."""
    return api.ConsumerConfig(
        deliver_subject=inbox,
        filter_subject=subjects,
        deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
        opt_start_seq=start,
        ack_policy=api.AckPolicy.NONE,
        max_deliver=1,
        flow_control=True,
        idle_heartbeat=heartbeat,
        mem_storage=True,
        num_replicas=1,
    )


def delivery_of(reply: str) -> tuple[int, int]:
    """(stream sequence, delivery number) of a consumer's delivery, from its ``$JS.ACK.``
    reply subject (both token layouts: with and without the domain and account hash)."""
    tokens = reply.split(".")
    if len(tokens) == _ACK_TOKENS_V1:
        return int(tokens[5]), int(tokens[6])
    return int(tokens[7]), int(tokens[8])


def history_lost(epoch: str, seq: int) -> StreamEvent:
    return StreamEvent(EventKind.RESET, {"reason": HISTORY_LOST}, Position(epoch, seq).encode())


_EVENT, _RESET, _FORCED = 0, 1, 2
"""What an item is: an entry; a reset (dropped by a listener already past it); a reset every
listener takes (the stream went back behind them, so "past it" means nothing)."""
_Item = tuple[str, int, StreamEvent, int]  # (epoch, stream sequence, event, kind)


class _Listener:
    """A room's listener in this process: a bounded queue the consumer fills (a deque and one
    waiter, cheaper per event than an ``asyncio.Queue``) and ``events``."""

    __slots__ = ("_items", "_lagging", "_limit", "_room", "_store", "_waiter", "epoch", "last")

    def __init__(self, store: RoomStore, room: str, queue_size: int) -> None:
        self._store = store
        self._room = room
        self._items: deque[_Item] = deque()
        self._limit = queue_size
        self._waiter: asyncio.Future[None] | None = None
        self._lagging = False
        self.epoch = ""
        self.last = 0

    def queued(self) -> int:
        return len(self._items)

    def place(self, epoch: str, last: int) -> None:
        self.epoch, self.last = epoch, last

    def offer(self, item: _Item) -> None:
        # Never blocks the consumer: a full queue turns this listener to catching up.
        if self._lagging:
            return
        if len(self._items) >= self._limit:
            self._lagging = True
        else:
            self._items.append(item)
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
                async for event in self._catch_up():
                    yield event
                continue
            if not items:
                self._waiter = waiter = loop.create_future()
                await waiter
                continue
            epoch, seq, event, kind = items.popleft()
            if kind == _FORCED:
                self.place(epoch, seq)
                yield event
            elif epoch != self.epoch and kind == _EVENT:
                # Only possible if a reset was skipped while lagging: the stream settles it.
                async for caught in self._catch_up():
                    yield caught
            elif epoch == self.epoch and seq <= self.last:
                continue  # already delivered, or a reset this listener's catch-up went past
            else:
                self.place(epoch, seq)
                yield event

    async def _catch_up(self) -> AsyncIterator[StreamEvent]:
        while True:
            epoch, first, last = await self._store.state()
            if epoch != self.epoch or last < self.last:
                self.place(epoch, 0 if epoch != self.epoch else last)
                yield history_lost(*(self.epoch, self.last))
            elif self.last + 1 < first:
                self.place(epoch, first - 1)  # what came after this listener aged out
                yield history_lost(epoch, first - 1)
            events = await self._store.read(self._room, epoch, self.last + 1, _BATCH)
            for event in events:
                position = Position.parse(event.cursor)
                self.last = position.major if position else self.last
                yield event
            if len(events) < _BATCH:
                # The read went to the stream's end: nothing of this room up to ``last``
                # (read before it) is left.
                self.last = max(self.last, last)
                return


class NatsRoomDispatcher:
    """Live delivery of chat rooms for one process; its consumer starts with the first
    ``listen`` and lives until ``aclose``."""

    def __init__(
        self,
        client: Client,
        store: RoomStore,
        *,
        prefix: str,
        heartbeat: float = 1.0,
        queue_size: int = 1000,
        start_timeout: float = 10.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._nc = client
        self._js = client.jetstream()
        self._store = store
        self._rooms_base = f"{prefix}.chat.r."
        self._heartbeat = heartbeat
        self._queue_size = queue_size
        self._start_timeout = start_timeout
        self._max_backoff = max_backoff
        self._rooms: dict[str, set[_Listener]] = {}
        self._epoch: str | None = None  # None until positioned by the first listen
        self._sseq = 0  # the last stream sequence dispatched (or skipped as before the start)
        self._dseq = 0  # the consumer's delivery number of the last entry received
        self._generation = 0  # deliveries of an older consumer are ignored
        self._broken = asyncio.Event()
        self._reconnects = 0
        self._heard = 0.0
        self._positioned = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.consumers = 0  # consumers asked for so far; tests and chaos runs watch it

    @asynccontextmanager
    async def listen(self, room: str) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        if self._closed:
            raise ServiceUnavailable("live chat delivery is shut down")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="chat-room-consumer")
        key = token(room)
        listeners = self._rooms.setdefault(key, set())
        listener = _Listener(self._store, room, self._queue_size)
        listeners.add(listener)
        if self._epoch is not None:
            listener.place(self._epoch, self._sseq)
        try:
            try:
                # Not wait_for: on Python 3.11 it can swallow a cancel that comes as the wait
                # ends, and a room that is being left would then listen forever.
                async with asyncio.timeout(self._start_timeout):
                    await self._positioned.wait()
            except TimeoutError:
                raise ServiceUnavailable("live chat delivery is unavailable") from None
            yield listener.events()
        finally:
            listeners.discard(listener)
            if not listeners and self._rooms.get(key) is listeners:
                del self._rooms[key]

    @property
    def queued(self) -> int:
        """Events waiting in this process's listener queues (tests watch it stay bounded)."""
        return sum(
            listener.queued() for listeners in self._rooms.values() for listener in listeners
        )

    def reconnected(self) -> None:
        """Called on every reconnect of the client: the stream may have been lost meanwhile."""
        self._reconnects += 1
        self._broken.set()

    async def aclose(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        delay = 0.05
        while not self._closed:
            seen = self._reconnects
            sub: Subscription | None = None
            consumer: str | None = None
            try:
                await self._position()
                sub, consumer = await self._open()
                delay = 0.05
                reason = await self._until_broken(seen)
                log.warning("chat_consumer_restarting", reason=reason, after=self._sseq)
                continue
            except Exception as exc:  # whatever happened, live delivery must come back
                log.warning("chat_consumer_failed", error=repr(exc))
            finally:
                self._generation += 1
                await self._drop(sub, consumer)
            await asyncio.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, self._max_backoff)

    @honour_cancellation
    async def _position(self) -> None:
        """Where the next consumer starts, after telling every listener of lost history."""
        epoch, first, last = await self._store.state()
        if self._epoch is None:
            self._epoch, self._sseq = epoch, last
            for listeners in self._rooms.values():
                for listener in listeners:
                    listener.place(epoch, last)
            self._positioned.set()
            return
        if epoch != self._epoch:
            self._lost(epoch, 0, _RESET)  # the stream was lost and made anew while we were away
        elif last < self._sseq:
            # The server kept the stream but not its newest entries: the same sequences will
            # be given again, so what listeners saw after ``last`` cannot be trusted.
            self._lost(epoch, last, _FORCED)
        elif self._sseq + 1 < first:
            self._lost(epoch, first - 1, _RESET)  # entries after our last one aged out meanwhile

    def _lost(self, epoch: str, seq: int, kind: int) -> None:
        log.warning("chat_stream_history_lost", epoch=epoch, at=seq)
        self._epoch, self._sseq = epoch, seq
        reset = history_lost(epoch, seq)
        for listeners in self._rooms.values():
            for listener in listeners:
                listener.offer((epoch, seq, reset, kind))

    @honour_cancellation
    async def _open(self) -> tuple[Subscription, str]:
        self._generation += 1
        generation = self._generation
        self._broken.clear()
        self._dseq = 0
        inbox = self._nc.new_inbox()

        async def on_message(msg: Msg) -> None:
            if generation == self._generation:
                await self._on_message(msg)

        sub = await self._nc.subscribe(inbox, cb=on_message)
        config = reader_config(inbox, f"{self._rooms_base}>", self._sseq + 1, self._heartbeat)
        # Counted when asked for: its first deliveries can arrive before the server's answer.
        self.consumers += 1
        try:
            info = await self._js.add_consumer(self._store.stream, config)
        except BaseException:
            with suppress(Exception):
                await sub.unsubscribe()
            raise
        self._heard = asyncio.get_running_loop().time()
        return sub, info.name

    @honour_cancellation
    async def _drop(self, sub: Subscription | None, consumer: str | None) -> None:
        """Unsubscribes and deletes the consumer at once (fire and forget): an idle one would
        otherwise be matched against every entry until the server drops it."""
        if sub is not None:
            with suppress(Exception):
                await sub.unsubscribe()
        if consumer is not None:
            with suppress(Exception):
                await self._nc.publish(f"$JS.API.CONSUMER.DELETE.{self._store.stream}.{consumer}")

    @honour_cancellation
    async def _until_broken(self, seen: int) -> str:
        """Returns why the consumer must be made again: a gap, a reconnect, or silence."""
        loop = asyncio.get_running_loop()
        while True:
            with suppress(TimeoutError):
                async with asyncio.timeout(self._heartbeat):
                    await self._broken.wait()
            if self._reconnects != seen:
                return "reconnected"
            if self._broken.is_set():
                return "gap"
            if loop.time() - self._heard <= 3 * self._heartbeat:
                continue
            try:
                await self._nc.flush(timeout=max(1, round(3 * self._heartbeat)))
            except Exception:
                # No PONG: a half-open connection. The reconnect tells ``reconnected``.
                await self._nc.force_reconnect()
                return "connection silent"
            return "consumer silent"

    async def _on_message(self, msg: Msg) -> None:
        self._heard = asyncio.get_running_loop().time()
        reply = msg.reply
        if not reply.startswith("$JS.ACK."):
            await self._on_status(msg)
            return
        seq, delivery = delivery_of(reply)
        if delivery != self._dseq + 1:
            self._gap()
            return
        self._dseq = delivery
        if seq <= self._sseq:
            return
        self._sseq = seq
        subject = msg.subject
        room = subject[len(self._rooms_base) : subject.index(".", len(self._rooms_base))]
        listeners = self._rooms.get(room)
        if not listeners:
            return
        epoch = self._epoch or ""
        event = self._store.decode(epoch, seq, msg.data)
        if event is None:
            return
        item = (epoch, seq, event, _EVENT)
        for listener in listeners:
            listener.offer(item)

    async def _on_status(self, msg: Msg) -> None:
        headers = msg.headers or {}
        if headers.get(_STATUS) != "100":
            self._gap()  # the consumer was deleted, or another status it cannot go on from
            return
        if msg.reply:  # a flow control request: everything before it was dispatched
            await self._nc.publish(msg.reply)
            return
        last = headers.get(_LAST_CONSUMER)
        if last is not None and int(last) != self._dseq:
            self._gap()  # the heartbeat names a delivery we never got
            return
        stalled = headers.get(_STALLED)
        if stalled:
            await self._nc.publish(stalled)

    def _gap(self) -> None:
        self._generation += 1  # later deliveries of this consumer are not ours any more
        self._broken.set()
