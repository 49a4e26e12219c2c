"""``InMemoryStreamBroker``: the stream broker of the embedded mode, inside one process.

It keeps the same promise as the Redis adapter: per room an epoch and a counter give cursors
(``<epoch>.<n>-0``) that only grow; the last ``retention`` events of a room are kept, and a
cursor outside them (trimmed, from an evicted room or from another process) gets
``complete=False``; fenced appends check the attempt and the cancel flag and number chunks
per (message, attempt). A listener is a position in the room's retained events, woken on
each append, so listening costs no queue at all and cannot overflow; one that falls behind
the retained window gets a ``stream-reset`` with ``HISTORY_LOST``. Rooms idle for
``ttl_seconds`` without listeners are dropped (a new epoch starts if they come back), like
the Redis keys' TTLs, and so are fences and cancel flags.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import attrs

from mocheong_core.chat.errors import RunCancelled, StaleAttempt
from mocheong_core.chat.stream import (
    CANCELLABLE_KINDS,
    HISTORY_LOST,
    EventDraft,
    EventKind,
    Fence,
    History,
    Position,
    StreamEvent,
)

_SEQUENCED = frozenset({EventKind.CHUNK, EventKind.COMPONENT})


@attrs.define
class _Room:
    epoch: str
    events: deque[tuple[int, StreamEvent]]
    last: int = 0
    listeners: int = 0
    touched: float = 0.0
    changed: asyncio.Event = attrs.Factory(asyncio.Event)

    @property
    def first(self) -> int:
        """The offset of the oldest retained event (``last + 1`` when none is)."""
        return self.events[0][0] if self.events else self.last + 1

    def cursor(self, offset: int) -> str:
        return Position(self.epoch, offset).encode()

    def after(self, offset: int, limit: int) -> list[tuple[int, StreamEvent]]:
        start = max(offset - self.first + 1, 0)
        return list(itertools.islice(self.events, start, start + limit))


@attrs.define
class _MessageState:
    expires: float
    attempt: int | None = None
    cancelled: bool = False
    seqs: dict[int, int] = attrs.Factory(dict)


class InMemoryStreamBroker:
    def __init__(
        self,
        *,
        retention: int = 2000,
        ttl_seconds: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._retention = retention
        self._ttl = ttl_seconds
        self._clock = clock
        self._rooms: dict[str, _Room] = {}
        self._messages: dict[str, _MessageState] = {}
        self._purged = clock()

    async def claim(self, message_id: str, attempt: int, lease_seconds: float) -> None:
        state = self._message(message_id, lease_seconds)
        if state.attempt is not None and state.attempt > attempt:
            raise StaleAttempt(f"attempt {attempt} of {message_id} was superseded")
        state.attempt = attempt

    async def append(self, room: str, draft: EventDraft, fence: Fence | None = None) -> StreamEvent:
        message_id = fence.message_id if fence else draft.message_id
        attempt = fence.attempt if fence else 0
        sequenced = draft.kind in _SEQUENCED
        state = self._message(message_id) if message_id and (fence or sequenced) else None
        if fence is not None:
            assert state is not None
            if state.attempt != fence.attempt:
                raise StaleAttempt(f"attempt {fence.attempt} of {fence.message_id} is stale")
            if state.cancelled and draft.kind in CANCELLABLE_KINDS:
                raise RunCancelled(f"message {fence.message_id} was cancelled")
        seq = 0
        if state is not None and sequenced:
            seq = state.seqs.get(attempt, 0) + 1
            state.seqs[attempt] = seq
        r = self._room(room)
        r.last += 1
        event = StreamEvent(draft.kind, draft.data, r.cursor(r.last), message_id, attempt, seq)
        r.events.append((r.last, event))
        # Listeners wait on the current event object; a fresh one serves the next append.
        r.changed.set()
        r.changed = asyncio.Event()
        return event

    async def history(self, room: str, after: str | None, limit: int = 1000) -> History:
        r = self._rooms.get(room)
        if after is None:
            if r is None:
                return History([], True)
            return History([e for _, e in r.after(r.first - 1, limit)], True)
        position = Position.parse(after)
        if (
            r is None
            or position is None
            or position.epoch != r.epoch
            or position.minor != 0
            or not r.first - 1 <= position.major <= r.last
        ):
            return History([], False)
        return History([e for _, e in r.after(position.major, limit)], True)

    async def head(self, room: str) -> str:
        r = self._room(room)
        return r.cursor(r.last)

    def listen(self, room: str) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self._listen(room)

    @asynccontextmanager
    async def _listen(self, room: str) -> AsyncIterator[AsyncIterator[StreamEvent]]:
        r = self._room(room)
        r.listeners += 1
        try:
            yield self._follow(r, r.last)
        finally:
            r.listeners -= 1
            r.touched = self._clock()

    async def _follow(self, r: _Room, position: int) -> AsyncIterator[StreamEvent]:
        while True:
            changed = r.changed
            if position < r.first - 1:
                position = r.last
                yield StreamEvent(EventKind.RESET, {"reason": HISTORY_LOST}, r.cursor(position))
                continue
            batch = r.after(position, self._retention)
            if not batch:
                await changed.wait()
                continue
            for offset, event in batch:
                position = offset
                yield event

    async def request_cancel(self, message_id: str) -> None:
        self._message(message_id).cancelled = True

    async def cancel_requested(self, message_id: str) -> bool:
        state = self._messages.get(message_id)
        return state is not None and state.cancelled

    def _room(self, name: str) -> _Room:
        self._purge()
        r = self._rooms.get(name)
        if r is None:
            r = _Room(uuid.uuid4().hex[:12], deque(maxlen=self._retention))
            self._rooms[name] = r
        r.touched = self._clock()
        return r

    def _message(self, message_id: str, lease_seconds: float = 0) -> _MessageState:
        self._purge()
        expires = self._clock() + max(lease_seconds, self._ttl)
        state = self._messages.get(message_id)
        if state is None:
            state = self._messages[message_id] = _MessageState(expires)
        state.expires = max(state.expires, expires)
        return state

    def _purge(self) -> None:
        now = self._clock()
        if now - self._purged < min(self._ttl / 10, 60.0):
            return
        self._purged = now
        idle = now - self._ttl
        self._rooms = {k: r for k, r in self._rooms.items() if r.listeners or r.touched >= idle}
        self._messages = {k: m for k, m in self._messages.items() if m.expires >= now}
