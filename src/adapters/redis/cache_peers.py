"""``RedisCachePeers``: invalidations of a per-process cache (rendered public pages, users
seen by authentication) shared by every process over one Redis pub/sub channel per cache.

Pub/sub delivers at most once and only while subscribed, so a process that was not listening
may have missed an invalidation: while its subscription is down its cache is suspended (reads
go to the database), and every (re)subscription starts from an empty cache. A
watchdog PINGs a quiet connection and reconnects when not even the PONG comes back, because a
half-open TCP connection never reports an error by itself.
"""

from __future__ import annotations

import asyncio
import json
import random
from contextlib import suppress
from typing import Protocol

import structlog
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

log = structlog.get_logger("mocheong.cache_peers")


class LocalCache(Protocol):
    def drop(self, keys: list[str]) -> None: ...

    def suspend(self) -> None: ...

    def resume(self) -> None: ...


class SilentConnection(ConnectionError):
    """Nothing, not even a PONG, came back for three ping intervals."""


class RedisCachePeers:
    def __init__(self, redis: Redis, channel: str, ping_interval: float = 5.0) -> None:
        self._redis = redis
        self._channel = channel
        self._ping_interval = ping_interval
        pool = redis.connection_pool
        # A pool of its own names the subscriber's connection (``CLIENT LIST`` shows it).
        self._listen_pool = ConnectionPool(
            connection_class=pool.connection_class,
            **{**pool.connection_kwargs, "client_name": channel},
        )
        self.subscribed = asyncio.Event()
        """Set while the subscription is live (start-up waits on it)."""
        self.subscriptions = 0
        """How many times the subscription was made, reconnections included."""

    async def announce(self, keys: list[str]) -> None:
        try:
            await self._redis.publish(self._channel, json.dumps(keys))
        except (RedisError, OSError) as exc:
            # This process already dropped them; the others catch up when they resubscribe.
            log.warning("cache_announce_failed", channel=self._channel, error=repr(exc))

    async def listen(self, cache: LocalCache) -> None:
        """Applies the other processes' invalidations to ``cache`` until cancelled."""
        delay = 0.05
        while True:
            pubsub = PubSub(self._listen_pool)
            subscriptions = self.subscriptions
            try:
                await pubsub.subscribe(self._channel)
                await self._serve(pubsub, cache)
            except Exception as exc:  # whatever broke, the subscription must come back
                log.warning("cache_subscription_lost", channel=self._channel, error=repr(exc))
            finally:
                self.subscribed.clear()
                cache.suspend()
                with suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            if self.subscriptions != subscriptions:
                delay = 0.05  # it was up: the next outage backs off from the start again
            await asyncio.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 5.0)

    async def _serve(self, pubsub: PubSub, cache: LocalCache) -> None:
        loop = asyncio.get_running_loop()
        heard = loop.time()
        while True:
            message = await pubsub.get_message(timeout=self._ping_interval)
            now = loop.time()
            if message is None:
                if now - heard > 3 * self._ping_interval:
                    raise SilentConnection
                if now - heard >= self._ping_interval:
                    await pubsub.ping()
                continue
            heard = now
            kind = message["type"]
            if kind == "subscribe":
                cache.resume()
                self.subscriptions += 1
                self.subscribed.set()
            elif kind == "message":
                cache.drop(json.loads(message["data"]))

    async def aclose(self) -> None:
        await self._listen_pool.disconnect()
