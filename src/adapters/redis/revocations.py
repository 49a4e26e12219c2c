"""``RedisRevocations``: ended sign-ins announced to every process over pub/sub (like the
caches' invalidations, ``RedisCachePeers``) and kept in a sorted set scored by when they may
be forgotten, so that a process whose subscription was down catches up when it resubscribes.

A revocation made while Redis is unreachable stays in its own process (and in the database,
where the family's refresh tokens are revoked): the other processes refuse its access tokens
only when they expire, at most the access-token lifetime later.
"""

from __future__ import annotations

import time

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.redis.cache_peers import RedisCachePeers

log = structlog.get_logger("mocheong.revocations")


class RedisRevocations(RedisCachePeers):
    def __init__(
        self, redis: Redis, channel: str, keep_seconds: float, ping_interval: float = 5.0
    ) -> None:
        super().__init__(redis, channel, ping_interval)
        self._key = f"{channel}:recent"
        self._keep = keep_seconds

    async def announce(self, keys: list[str]) -> None:
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self._key, dict.fromkeys(keys, now + self._keep))
                pipe.zremrangebyscore(self._key, "-inf", now)
                pipe.expire(self._key, int(self._keep) + 1)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("revocation_not_kept", key=self._key, error=repr(exc))
        await super().announce(keys)

    async def recent(self) -> list[str]:
        try:
            members = await self._redis.zrangebyscore(self._key, time.time(), "+inf")
        except (RedisError, OSError) as exc:
            log.warning("revocations_not_read", key=self._key, error=repr(exc))
            return []
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]
