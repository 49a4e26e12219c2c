"""``NatsCachePeers``: invalidations of a per-process cache shared by every process over one
core NATS subject per cache (``<prefix>.cache.<name>``).

Core NATS delivers at most once and only while connected, like Redis pub/sub: while the
connection is down the cache is suspended (reads go to the database), and every reconnect
starts from an empty cache. The client's own PINGs find a half-open connection.
"""

from __future__ import annotations

import asyncio
import json

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError

from adapters.redis.cache_peers import LocalCache

log = structlog.get_logger("mocheong.cache_peers")


class NatsCachePeers:
    def __init__(self, client: Client, subject: str) -> None:
        self._client = client
        self._subject = subject
        self._cache: LocalCache | None = None
        self.subscribed = asyncio.Event()
        """Set while the subscription is live (start-up waits on it)."""
        self.subscriptions = 0

    async def announce(self, keys: list[str]) -> None:
        try:
            await self._client.publish(self._subject, json.dumps(keys).encode())
        except (NatsError, OSError) as exc:
            log.warning("cache_announce_failed", subject=self._subject, error=repr(exc))

    def disconnected(self) -> None:
        """Called by the connection when it drops: announcements may be missed from now."""
        self.subscribed.clear()
        if self._cache is not None:
            self._cache.suspend()

    def reconnected(self) -> None:
        if self._cache is not None:
            self._cache.resume()
            self.subscriptions += 1
            self.subscribed.set()

    async def listen(self, cache: LocalCache) -> None:
        """Applies the other processes' invalidations to ``cache`` until cancelled."""

        async def drop(msg: Msg) -> None:
            cache.drop(json.loads(msg.data))

        self._cache = cache
        sub = await self._client.subscribe(self._subject, cb=drop)
        await self._client.flush()
        cache.resume()
        self.subscriptions += 1
        self.subscribed.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.subscribed.clear()
            self._cache = None
            await sub.unsubscribe()

    async def aclose(self) -> None:
        """The connection belongs to the process; nothing of its own to close."""
