"""The per-process caches whose invalidations travel between processes (rendered public pages,
users seen by authentication): with Redis, one subscription per cache and process applies
what the other processes announce; without Redis there is one process and nothing to hear."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from dishka import AsyncContainer

from adapters.nats.cache_peers import NatsCachePeers
from adapters.redis.cache_peers import LocalCache, RedisCachePeers
from entrypoints.bootstrap.lifecycle import LifecycleHooks

log = structlog.get_logger("mocheong.cache")
SUBSCRIBE_WAIT = 5.0
"""Seconds start-up waits for a subscription before serving without that cache."""


def add_cache_peer_hooks(
    hooks: LifecycleHooks,
    container: AsyncContainer,
    peers_key: Any,
    cache_key: Any,
    name: str,
) -> None:
    """Starts ``peers_key``'s subscription into ``cache_key`` (both dishka keys) with the
    process and closes it when the process stops."""
    listening: list[asyncio.Task[None]] = []

    async def subscribe() -> None:
        peers: RedisCachePeers | NatsCachePeers = await container.get(peers_key)
        cache: LocalCache = await container.get(cache_key)
        listening.append(asyncio.create_task(peers.listen(cache)))
        try:
            async with asyncio.timeout(SUBSCRIBE_WAIT):
                await peers.subscribed.wait()
        except TimeoutError:
            # The cache stays off (reads go to the database) until the subscription is up.
            log.warning("cache_not_subscribed", cache=name, waited=SUBSCRIBE_WAIT)

    async def unsubscribe() -> None:
        for task in listening:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await (await container.get(peers_key)).aclose()

    hooks.on_start(subscribe)
    hooks.on_stop(unsubscribe)
