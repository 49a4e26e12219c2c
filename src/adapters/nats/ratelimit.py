"""``NatsRateLimiter``: the rate-limit port on a JetStream key-value bucket, shared by every
process connected to the same NATS (the Redis limiter's twin for ``MOCHEONG_BROKER=nats``).

Fixed windows, counted as the Redis limiter counts them: a hit on ``key`` in window ``n``
(windows follow the injected clock and start at multiples of their length) raises the counter
``<key>.<n>``. The counter is raised with compare-and-set on its revision (an ``update`` that
expects the revision just read; revision 0 when the window has no counter yet, which is a
``create``), so two processes never both write the same count: the one that lost reads
again and tries again, up to ``max_tries`` times, then the hit is refused with a Retry-After
of one second (the key is that busy). A counter that has reached the limit is not written
again: a refused hit costs one read, and a window costs at most ``limit`` writes per key.

Counters age out with the bucket (its ``max_age``, ``ttl_seconds``): a counter is dropped
once it has not been written for that long, so the TTL must be at least the longest window,
or a quiet window's count would vanish before the window ends. The bucket keeps one revision
per key and lives in the server's memory by default: a restarted NATS starts every window
afresh, and the limiter makes the bucket again when a write finds it gone.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

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

KV_DUPLICATE_WINDOW = 120.0  # what nats-py gives a new bucket, capped by its age limit


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

    @honour_cancellation
    async def hit(self, key: str, limit: Limit) -> int:
        if limit.window_seconds > self._ttl:
            raise ValueError(
                f"a {limit.window_seconds} s window outlives the bucket's {self._ttl} s TTL"
            )
        now = self._clock.now().timestamp()
        counter = f"{token(key, marker='=')}.{limit.window(now)}"
        with unavailable_without_nats("rate limiting"):
            for _ in range(self._max_tries):
                try:
                    return 0 if await self._take(counter, limit.count) else limit.wait(now)
                except KeyWrongLastSequenceError:
                    continue  # another process counted first: read again
                except NoStreamResponseError:
                    self._kv = None  # the server lost the bucket (a restart): make it again
        log.warning("rate_limit_contended", counter=counter, tries=self._max_tries)
        return 1

    async def _take(self, counter: str, allowed: int) -> bool:
        """Counts one hit on ``counter`` unless it holds ``allowed`` already; True if counted.
        Raises ``KeyWrongLastSequenceError`` when another process wrote it meanwhile."""
        kv = await self._open()
        try:
            entry = await kv.get(counter)
            count, revision = int(entry.value or b"0"), entry.revision
        except KeyNotFoundError:
            count, revision = 0, 0
        if count >= allowed:
            return False
        await kv.update(counter, str(count + 1).encode(), last=revision)
        return True

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
