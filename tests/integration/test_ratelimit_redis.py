"""The rate-limiter contract, on the real Redis and on the in-memory twin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.redis.ratelimit import RedisRateLimiter
from mocheong_core.errors import RateLimited
from mocheong_core.kernel.ratelimit import Limit, RateLimiter, enforce
from tests import services
from tests.unit.accounts_harness import ManualClock

LONG = 3600


@pytest.fixture
def redis(redis_client: Redis) -> Redis:
    return redis_client


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    value = services.unique_redis_prefix()
    yield value
    keys = [key async for key in redis.scan_iter(match=f"{value}*")]
    if keys:
        await redis.delete(*keys)


@pytest.fixture
def clock() -> ManualClock:
    # 10 s into an hour-long window, whatever the time of the run.
    return ManualClock(datetime(2027, 5, 15, 4, 0, 10, tzinfo=UTC))


@pytest.fixture(params=["redis", "memory"])
def limiter(
    request: pytest.FixtureRequest, redis: Redis, prefix: str, clock: ManualClock
) -> RateLimiter:
    if request.param == "redis":
        return RedisRateLimiter(redis, prefix=prefix, clock=clock)
    return InMemoryRateLimiter(clock)


async def test_hits_within_the_limit_pass_and_the_next_is_refused(limiter: RateLimiter) -> None:
    limit = Limit(count=3, window_seconds=LONG)

    allowed = [await limiter.hit("login:ip:1.2.3.4", limit) for _ in range(3)]
    refused = await limiter.hit("login:ip:1.2.3.4", limit)

    assert allowed == [0, 0, 0]
    assert refused == LONG - 10


async def test_a_new_window_starts_afresh(limiter: RateLimiter, clock: ManualClock) -> None:
    limit = Limit(count=1, window_seconds=60)
    assert await limiter.hit("k", limit) == 0
    clock.advance(49.5)
    assert await limiter.hit("k", limit) == 1  # half a second left, rounded up

    clock.advance(0.5)

    assert await limiter.hit("k", limit) == 0


async def test_keys_are_counted_apart(limiter: RateLimiter) -> None:
    limit = Limit(count=1, window_seconds=LONG)

    assert await limiter.hit("login:account:a@example.com", limit) == 0
    assert await limiter.hit("login:account:b@example.com", limit) == 0
    assert await limiter.hit("login:account:a@example.com", limit) > 0


async def test_enforce_raises_rate_limited_with_the_wait(limiter: RateLimiter) -> None:
    limit = Limit(count=1, window_seconds=LONG)
    await enforce(limiter, "register:ip:1.2.3.4", limit)

    with pytest.raises(RateLimited) as caught:
        await enforce(limiter, "register:ip:1.2.3.4", limit)

    assert caught.value.retry_after == LONG - 10
    assert caught.value.code == "rate_limited"


async def test_processes_sharing_a_redis_share_the_counts(
    redis: Redis, prefix: str, clock: ManualClock
) -> None:
    first = RedisRateLimiter(redis, prefix=prefix, clock=clock)
    second = RedisRateLimiter(redis, prefix=prefix, clock=clock)
    limit = Limit(count=2, window_seconds=LONG)

    assert await first.hit("k", limit) == 0
    assert await second.hit("k", limit) == 0
    assert await first.hit("k", limit) > 0


async def test_another_prefix_is_another_deployment(
    redis: Redis, prefix: str, clock: ManualClock
) -> None:
    limit = Limit(count=1, window_seconds=LONG)
    mine = RedisRateLimiter(redis, prefix=prefix + "a:", clock=clock)
    theirs = RedisRateLimiter(redis, prefix=prefix + "b:", clock=clock)

    assert await mine.hit("k", limit) == 0
    assert await theirs.hit("k", limit) == 0


async def test_redis_keys_expire_with_their_window(redis: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis, prefix=prefix)

    await limiter.hit("login:ip:1.2.3.4", Limit(count=5, window_seconds=60))
    await limiter.hit("login:ip:1.2.3.4", Limit(count=5, window_seconds=60))

    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    assert len(keys) == 1
    assert 0 < await redis.ttl(keys[0]) <= 61
