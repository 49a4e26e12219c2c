"""``RedisStreamBroker``: chat room streams on Redis Streams, with pub/sub as the doorbell.

Each append is one EVALSHA: the script checks the fence and the cancel flag, assigns the seq,
XADDs to the room's capped stream, refreshes every TTL and PUBLISHes a notice that carries the
entry, its id and the id before it, so a listener delivers straight from the notice and only
reads the stream when the ids show a gap. Listening goes through the process's one
``RedisRoomDispatcher``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.redis.dispatcher import RedisRoomDispatcher
from adapters.redis.scripts import RedisScripts
from adapters.redis.stream_layout import (
    RoomReader,
    StreamKeys,
    make_cursor,
    new_epoch,
    parse_id,
    text,
)
from mocheong_core.chat.errors import RunCancelled, StaleAttempt
from mocheong_core.chat.stream import (
    CANCELLABLE_KINDS,
    EventDraft,
    EventKind,
    Fence,
    History,
    Position,
    StreamEvent,
)
from mocheong_core.errors import ServiceUnavailable

# KEYS: stream, meta, fence, cancel, seq.
# ARGV: kind, message id, attempt ('' = unfenced), check cancel, bump seq, data, maxlen,
#       ttl ms, epoch if the room has none, channel.
_APPEND = """
local attempt = ARGV[3]
if attempt ~= '' then
  local owner = redis.call('GET', KEYS[3])
  if owner ~= attempt then return {'stale', owner or ''} end
  if ARGV[4] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then return {'cancelled'} end
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
else
  attempt = '0'
end
local seq = 0
if ARGV[5] == '1' then
  seq = redis.call('INCR', KEYS[5])
  redis.call('PEXPIRE', KEYS[5], ARGV[8])
end
local meta = redis.call('HMGET', KEYS[2], 'epoch', 'last')
local epoch = meta[1] or ARGV[9]
local prev = meta[2] or '0-0'
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[7], '*',
  'k', ARGV[1], 'm', ARGV[2], 'a', attempt, 's', seq, 'd', ARGV[6])
redis.call('HSET', KEYS[2], 'epoch', epoch, 'last', id)
redis.call('HINCRBY', KEYS[2], 'n', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
local sep = '\\31'  -- NOTICE_SEP
redis.call('PUBLISH', ARGV[10], epoch .. sep .. prev .. sep .. id .. sep .. ARGV[1] .. sep ..
  ARGV[2] .. sep .. attempt .. sep .. seq .. sep .. ARGV[6])
return {'ok', epoch, id, seq}
"""

# An older attempt can never take the fence back from a newer one.
_CLAIM = """
local owner = redis.call('GET', KEYS[1])
if owner and tonumber(owner) > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_SEQUENCED = frozenset({EventKind.CHUNK, EventKind.COMPONENT})


@contextmanager
def _unavailable_without_redis() -> Iterator[None]:
    """A Redis failure reaches callers as the core's ``ServiceUnavailable`` (a 503, or a run
    that stops and is swept), never as a driver exception."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise ServiceUnavailable("Chat streaming is unavailable: Redis did not answer") from exc


class RedisStreamBroker:
    """The ``StreamBroker`` port on Redis; every key it writes carries a TTL."""

    def __init__(
        self,
        redis: Redis,
        dispatcher: RedisRoomDispatcher,
        *,
        prefix: str,
        ttl_seconds: int,
        maxlen: int,
        scripts: RedisScripts | None = None,
    ) -> None:
        self._redis = redis
        self._dispatcher = dispatcher
        self._keys = StreamKeys(prefix)
        self._ttl_ms = ttl_seconds * 1000
        self._maxlen = maxlen
        scripts = scripts or RedisScripts(redis)
        self._append = scripts.register(_APPEND)
        self._claim = scripts.register(_CLAIM)
        self._reader = RoomReader(redis, self._keys, self._ttl_ms)
        self._encoder = msgspec.json.Encoder()

    async def claim(self, message_id: str, attempt: int, lease_seconds: float) -> None:
        # The fence outlives the lease: it must still refuse a stale attempt that wakes up
        # after its lease expired, for as long as the message's stream exists.
        ttl_ms = max(int(lease_seconds * 1000), self._ttl_ms)
        with _unavailable_without_redis():
            won = await self._claim(keys=[self._keys.fence(message_id)], args=[attempt, ttl_ms])
        if not int(won):
            raise StaleAttempt(f"attempt {attempt} of {message_id} was superseded")

    async def append(self, room: str, draft: EventDraft, fence: Fence | None = None) -> StreamEvent:
        message_id = fence.message_id if fence else (draft.message_id or "")
        attempt = fence.attempt if fence else 0
        sequenced = draft.kind in _SEQUENCED and bool(message_id)
        data = self._encoder.encode(draft.data)
        keys = self._keys
        with _unavailable_without_redis():
            raw = await self._append(
                keys=[
                    keys.stream(room),
                    keys.meta(room),
                    keys.fence(message_id),
                    keys.cancel(message_id),
                    keys.seq(message_id, attempt),
                ],
                args=[
                    draft.kind.value,
                    message_id,
                    str(attempt) if fence else "",
                    "1" if draft.kind in CANCELLABLE_KINDS else "0",
                    "1" if sequenced else "0",
                    data,
                    self._maxlen,
                    self._ttl_ms,
                    new_epoch(),
                    keys.channel(room),
                ],
            )
        status = text(raw[0])
        if status == "stale":
            owner = text(raw[1]) or "none (lost)"
            raise StaleAttempt(f"attempt {attempt} of {message_id} is stale; owner: {owner}")
        if status == "cancelled":
            raise RunCancelled(f"message {message_id} was cancelled")
        return StreamEvent(
            kind=draft.kind,
            data=draft.data,
            cursor=make_cursor(text(raw[1]), parse_id(raw[2])),
            message_id=message_id or None,
            attempt=attempt,
            seq=int(raw[3]),
        )

    async def history(self, room: str, after: str | None, limit: int = 1000) -> History:
        with _unavailable_without_redis():
            return await self._history(room, after, limit)

    async def _history(self, room: str, after: str | None, limit: int) -> History:
        if after is None:
            page = await self._reader.after(room, None, None, limit)
            return History([e.event for e in page.entries], page.continuous)
        position = Position.parse(after)
        if position is None:
            page = await self._reader.after(room, None, None, limit)
            return History([e.event for e in page.entries], False)
        entry = (position.major, position.minor)
        page = await self._reader.after(room, position.epoch, entry, limit)
        return History([e.event for e in page.entries], page.continuous)

    async def head(self, room: str) -> str:
        with _unavailable_without_redis():
            epoch, last = await self._reader.position(room)
        return make_cursor(epoch, last)

    def listen(self, room: str) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self._dispatcher.listen(room)

    async def request_cancel(self, message_id: str) -> None:
        with _unavailable_without_redis():
            await self._redis.set(self._keys.cancel(message_id), "1", px=self._ttl_ms)

    async def cancel_requested(self, message_id: str) -> bool:
        with _unavailable_without_redis():
            return bool(await self._redis.exists(self._keys.cancel(message_id)))
