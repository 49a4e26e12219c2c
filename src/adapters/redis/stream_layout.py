"""How chat room streams are laid out in Redis, and how a room's stream is read back.

Per room: a Stream of entries, a meta hash (``epoch``, ``last`` entry id, ``n`` entries ever
added) and a pub/sub channel. Per message: the fence (current attempt), the cancel flag and
one seq counter per attempt. docs/chat.md lists every key with its TTL.

A cursor is ``<epoch>.<entry id>`` (the port's ``Position``). The epoch is a random id chosen
when a room's meta hash is created; if Redis lost the room (restart without persistence,
expiry) the next writer or listener chooses a new one, so an old cursor can never silently
point into a new stream.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import attrs
import msgspec
from redis.asyncio import Redis

from mocheong_core.chat.stream import HISTORY_LOST, EventKind, StreamEvent

EntryId = tuple[int, int]
ZERO: EntryId = (0, 0)
_MAX_SEQ = 2**64 - 1
NOTICE_SEP = "\x1f"  # JSON escapes control characters, so it never occurs inside the data


def parse_id(raw: str | bytes) -> EntryId:
    ms, _, seq = text(raw).partition("-")
    return int(ms), int(seq or 0)


def format_id(entry: EntryId) -> str:
    return f"{entry[0]}-{entry[1]}"


def just_before(entry: EntryId) -> EntryId:
    """The largest id below ``entry``: nothing can lie strictly between the two."""
    ms, seq = entry
    if seq:
        return ms, seq - 1
    return (ms - 1, _MAX_SEQ) if ms else ZERO


def make_cursor(epoch: str, entry: EntryId) -> str:
    return f"{epoch}.{format_id(entry)}"


def new_epoch() -> str:
    return uuid.uuid4().hex[:12]


def text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


@attrs.frozen
class StreamKeys:
    """Every Redis key and channel name of chat streaming, under one prefix."""

    prefix: str

    def stream(self, room: str) -> str:
        return f"{self.prefix}chat:room:{room}:stream"

    def meta(self, room: str) -> str:
        return f"{self.prefix}chat:room:{room}:meta"

    def channel(self, room: str) -> str:
        return f"{self.prefix}chat:room:{room}"

    def room_of(self, channel: str) -> str:
        return channel.removeprefix(f"{self.prefix}chat:room:")

    def fence(self, message_id: str) -> str:
        return f"{self.prefix}chat:msg:{message_id}:fence"

    def cancel(self, message_id: str) -> str:
        return f"{self.prefix}chat:msg:{message_id}:cancel"

    def seq(self, message_id: str, attempt: int) -> str:
        return f"{self.prefix}chat:msg:{message_id}:{attempt}:seq"


@attrs.frozen
class Entry:
    """A stream entry as delivered; ``reset`` marks the synthetic ``stream-reset`` a reader
    emits when entries before ``id`` are gone (then ``id`` is the position it resumes from)."""

    epoch: str
    id: EntryId
    event: StreamEvent
    reset: bool = False


def history_lost(epoch: str, start: EntryId) -> Entry:
    event = StreamEvent(
        kind=EventKind.RESET,
        data={"reason": HISTORY_LOST},
        cursor=make_cursor(epoch, start),
    )
    return Entry(epoch, start, event, reset=True)


def make_event(
    epoch: str, entry: EntryId, kind: str, message: str, attempt: str, seq: str, data: str | bytes
) -> StreamEvent:
    return StreamEvent(
        kind=EventKind(kind),
        data=msgspec.json.decode(data),
        cursor=make_cursor(epoch, entry),
        message_id=message or None,
        attempt=int(attempt or 0),
        seq=int(seq or 0),
    )


def decode_entry(epoch: str, raw_id: bytes | str, fields: Sequence[Any]) -> Entry:
    values = {text(fields[i]): fields[i + 1] for i in range(0, len(fields), 2)}
    entry = parse_id(raw_id)
    event = make_event(
        epoch,
        entry,
        text(values["k"]),
        text(values["m"]),
        text(values["a"]),
        text(values["s"]),
        values["d"],
    )
    return Entry(epoch, entry, event)


@attrs.frozen
class Notice:
    """The doorbell PUBLISHed with each append: the entry itself and the one before it."""

    epoch: str
    prev: EntryId
    entry: Entry


def decode_notice(payload: bytes | str) -> Notice:
    epoch, prev, raw_id, kind, message, attempt, seq, data = text(payload).split(NOTICE_SEP, 7)
    entry = parse_id(raw_id)
    event = make_event(epoch, entry, kind, message, attempt, seq, data)
    return Notice(epoch, parse_id(prev), Entry(epoch, entry, event))


@attrs.frozen
class Slice:
    """Entries of a room after a position. ``continuous`` is False when entries between the
    position and the first one returned are gone (other epoch, trimmed or expired)."""

    epoch: str | None
    entries: list[Entry]
    continuous: bool


# Reads epoch, counters and one page of entries atomically. With another epoch than the
# caller's, the page starts at the beginning of the current stream.
_READ = """
local epoch = redis.call('HGET', KEYS[2], 'epoch')
local added = tonumber(redis.call('HGET', KEYS[2], 'n') or '0')
local len = redis.call('XLEN', KEYS[1])
local first = ''
local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if head[1] then first = head[1][1] end
local start = '-'
if epoch and epoch == ARGV[1] and ARGV[2] ~= '' then start = '(' .. ARGV[2] end
local entries = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', ARGV[3])
return {epoch or '', added, len, first, entries}
"""

# Gives each room an epoch if it has none (so a listener's position is well defined before
# anything is written) and returns it with the last entry id: KEYS are the rooms' meta keys,
# ARGV the TTL then a fresh epoch per room. Many rooms in one call: a storm of rooms starting
# at once (clients resuming after their API process died) is placed in one round trip.
_POSITIONS = """
local placed = {}
for i, key in ipairs(KEYS) do
  if redis.call('HSETNX', key, 'epoch', ARGV[i + 1]) == 1 then
    redis.call('PEXPIRE', key, ARGV[1])
  end
  placed[i] = redis.call('HMGET', key, 'epoch', 'last')
end
return placed
"""


class RoomReader:
    """Reads a room's stream after a position; shared by ``history`` and live catch-up."""

    def __init__(self, redis: Redis, keys: StreamKeys, ttl_ms: int) -> None:
        self._keys = keys
        self._ttl_ms = ttl_ms
        self._read = redis.register_script(_READ)
        self._positions = redis.register_script(_POSITIONS)

    async def after(self, room: str, epoch: str | None, after: EntryId | None, limit: int) -> Slice:
        """Entries after ``after`` in ``epoch`` (from the start when ``after`` is None)."""
        raw = await self._read(
            keys=[self._keys.stream(room), self._keys.meta(room)],
            args=[epoch or "", "" if after is None else format_id(after), limit],
        )
        current = text(raw[0]) or None
        added, length = int(raw[1]), int(raw[2])
        entries = [decode_entry(current or "", rid, fields) for rid, fields in raw[4]]
        if after is None:
            return Slice(current, entries, True)
        if current is None or current != epoch:
            return Slice(current, entries, False)
        # Trimming drops the oldest entries; without trimming nothing after ``after`` is gone.
        trimmed = added > length
        lost = trimmed and bool(raw[3]) and after < just_before(parse_id(raw[3]))
        return Slice(current, entries, not lost)

    async def position(self, room: str) -> tuple[str, EntryId]:
        """The room's epoch (created if missing) and its last entry id."""
        return (await self.positions([room]))[0]

    async def positions(self, rooms: list[str]) -> list[tuple[str, EntryId]]:
        """``position`` of each room, in one round trip."""
        placed = await self._positions(
            keys=[self._keys.meta(room) for room in rooms],
            args=[self._ttl_ms, *(new_epoch() for _ in rooms)],
        )
        return [(text(epoch), parse_id(last) if last else ZERO) for epoch, last in placed]
