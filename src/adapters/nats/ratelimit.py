"""``NatsRateLimiter``: the rate-limit port on a JetStream key-value bucket, shared by every
process connected to the same NATS (the Redis limiter's twin for ``MOCHEONG_BROKER=nats``).

Fixed windows, counted as the Redis limiter counts them: a hit on ``key`` in window ``n``
(windows follow the injected clock and start at multiples of their length) raises the counter
``<key>.<n>``. The counter is raised with compare-and-set on its revision (an ``update`` that
expects the revision known; revision 0 when the window has no counter yet, which is a
``create``), so two processes never both write the same count.

Hits on one counter within one process are counted together: while a write for a counter is
on its way, the process's further hits on it wait and go out as one write (count + the hits
it allows). So only processes, never requests, race for a counter: the per-request
compare-and-set this replaced made 32 simultaneous submits of one user retry each other until
most gave up (P6 on NATS: 1,513 of 3,000 submits refused as contended at 300/s offered, the
rest waiting seconds behind the retries). A process that lost the race reads again and
tries again, up to ``max_tries`` times, then the hits of that write are refused with a
Retry-After of one second (the key is that busy). The count and revision a write left are
used by the next write of the same batch without reading them again. A counter that has
reached the limit is not written again: a refused hit costs one read at most, and a window
costs at most ``limit`` writes per key.

Counters age out with the bucket (its ``max_age``, ``ttl_seconds``): a counter is dropped
once it has not been written for that long, so the TTL must be at least the longest window,
or a quiet window's count would vanish before the window ends. The bucket keeps one revision
per key and lives in the server's memory by default: a restarted NATS starts every window
afresh, and the limiter makes the bucket again when a write finds it gone.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import attrs
import structlog
from nats.aio.client import Client
from nats.js import api
from nats.js.client import KV_STREAM_TEMPLATE
from nats.js.errors import (
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoStreamResponseError,
    NotFoundError,
)
from nats.js.kv import KeyValue

from adapters.nats.connection import honour_cancellation, token, unavailable_without_nats
from mocheong_core.kernel.clock import Clock, SystemClock
from mocheong_core.kernel.ratelimit import Limit

log = structlog.get_logger("mocheong.ratelimit.nats")

_Known = tuple[int, int]
"""A counter's count and revision as this process last read or wrote them."""

KV_DUPLICATE_WINDOW = 120.0  # what nats-py gives a new bucket, capped by its age limit


@attrs.define
class _Hit:
    """One hit waiting for its batch's write: its limit, and where its answer goes (True:
    counted, False: refused by the limit, None: refused because the counter kept changing)."""

    limit: int
    answer: asyncio.Future[bool | None]

    def settle(self, outcome: bool | Exception | None) -> None:
        if self.answer.done():
            return  # its request was cancelled meanwhile (the hit may still have counted)
        if isinstance(outcome, Exception):
            self.answer.set_exception(outcome)
        else:
            self.answer.set_result(outcome)


def _admit(count: int, batch: list[_Hit]) -> list[bool | None]:
    """Which hits of ``batch``, in order, fit under their limits on top of ``count``."""
    allowed: list[bool | None] = []
    for hit in batch:
        fits = count < hit.limit
        count += fits
        allowed.append(fits)
    return allowed


class NatsRateLimiter:
    """Fixed-window counters shared by every process that uses the same NATS bucket."""

    def __init__(
        self,
        client: Client,
        *,
        bucket: str,
        ttl_seconds: int,
        max_tries: int = 16,
        clock: Clock | None = None,
        storage: api.StorageType = api.StorageType.MEMORY,
    ) -> None:
        self._js = client.jetstream()
        self._bucket = bucket
        self._ttl = ttl_seconds
        self._max_tries = max_tries
        # The windows follow the injected clock; counters still age out in the server's time.
        self._clock = clock or SystemClock()
        self._storage = storage
        self._kv: KeyValue | None = None
        self._opening = asyncio.Lock()
        self._waiting: dict[str, list[_Hit]] = {}  # counter → hits its running write serves
        self._writers: set[asyncio.Task[None]] = set()

    @honour_cancellation
    async def hit(self, key: str, limit: Limit) -> int:
        if limit.window_seconds > self._ttl:
            raise ValueError(
                f"a {limit.window_seconds} s window outlives the bucket's {self._ttl} s TTL"
            )
        now = self._clock.now().timestamp()
        counter = f"{token(key, marker='=')}.{limit.window(now)}"
        answer: asyncio.Future[bool | None] = asyncio.get_running_loop().create_future()
        waiting = self._waiting.get(counter)
        if waiting is None:
            waiting = self._waiting[counter] = []
            writer = asyncio.create_task(self._count(counter, waiting))
            self._writers.add(writer)
            writer.add_done_callback(self._writers.discard)
        waiting.append(_Hit(limit.count, answer))
        allowed = await answer
        if allowed is None:
            return 1  # the counter was too contended to write
        return 0 if allowed else limit.wait(now)

    async def _count(self, counter: str, waiting: list[_Hit]) -> None:
        """Counts the hits waiting on ``counter``, one write per batch, until none wait."""
        known: _Known | None = None
        try:
            while waiting:
                batch = waiting[:]
                del waiting[:]
                try:
                    known, allowed = await self._take(counter, batch, known)
                except Exception as exc:  # every hit of the batch gets the failure
                    known = None
                    for hit in batch:
                        hit.settle(exc)
                    continue
                for hit, answer in zip(batch, allowed, strict=True):
                    hit.settle(answer)
        finally:
            # No await since ``waiting`` was last seen empty: no hit joined it unanswered,
            # unless this task itself was cancelled (the process stopping).
            del self._waiting[counter]
            for hit in waiting:
                hit.answer.cancel()

    async def _take(
        self, counter: str, batch: list[_Hit], known: _Known | None
    ) -> tuple[_Known | None, list[bool | None]]:
        """Counts the hits of ``batch`` that fit under their limits, in order, with one
        conditional write; the count and revision it left, and each hit's answer (None: the
        counter kept changing under every try)."""
        with unavailable_without_nats("rate limiting"):
            for _ in range(self._max_tries):
                try:
                    kv = await self._open()
                    count, revision = known or await self._read(kv, counter)
                    allowed = _admit(count, batch)
                    taken = allowed.count(True)
                    if taken:
                        revision = await kv.update(
                            counter, str(count + taken).encode(), last=revision
                        )
                    return (count + taken, revision), allowed
                except KeyWrongLastSequenceError:
                    known = None  # another process counted first: read again
                except NoStreamResponseError:
                    known, self._kv = None, None  # the server lost the bucket: make it again
        log.warning("rate_limit_contended", counter=counter, tries=self._max_tries)
        return None, [None] * len(batch)

    @staticmethod
    async def _read(kv: KeyValue, counter: str) -> _Known:
        try:
            entry = await kv.get(counter)
        except KeyNotFoundError:
            return 0, 0
        return int(entry.value or b"0"), entry.revision or 0

    async def _open(self) -> KeyValue:
        async with self._opening:
            if self._kv is None:
                self._kv = await self._create_or_adjust()
            return self._kv

    async def _create_or_adjust(self) -> KeyValue:
        try:
            info = await self._js.stream_info(KV_STREAM_TEMPLATE.format(bucket=self._bucket))
        except NotFoundError:
            return await self._js.create_key_value(
                bucket=self._bucket,
                description="Mocheong rate-limit counters",
                ttl=float(self._ttl),
                history=1,
                storage=self._storage,
                # Reads through the stream's leader: a lost bucket answers "not found" at
                # once (a direct get would wait for its timeout).
                direct=False,
            )
        config = info.config
        if config.max_age != self._ttl:  # the TTL setting changed since the bucket was made
            config.max_age = float(self._ttl)
            config.duplicate_window = min(KV_DUPLICATE_WINDOW, float(self._ttl))
            await self._js.update_stream(config)
        return await self._js.key_value(self._bucket)

    @honour_cancellation
    async def delete(self) -> None:
        """Drops the bucket and every counter in it (tests and tear-down)."""
        with suppress(NotFoundError):
            await self._js.delete_key_value(self._bucket)
        self._kv = None
