"""The ``RateLimiter`` port's contract, run against every implementation: the in-process one,
Redis and NATS key-value, each distributed one on the machine's real server; then what only
one adapter promises (its keys' lifetime, its bucket).

``make_limiter()`` makes one simulated process (its own connection, all sharing one prefix
or bucket, unique to the test and deleted afterwards); the in-process limiter is one per
test, since its counts live in one process. Windows follow a manual clock, so no test waits.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js.kv import KeyValue
from redis.asyncio import Redis

from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.nats.connection import connect_nats
from adapters.nats.ratelimit import NatsRateLimiter
from adapters.redis.ratelimit import RedisRateLimiter
from mocheong_core.errors import RateLimited, ServiceUnavailable
from mocheong_core.kernel.ratelimit import Limit, RateLimiter, enforce
from tests import services
from tests.unit.accounts_harness import ManualClock

LONG = 3600
LimiterFactory = Callable[[], Awaitable[RateLimiter]]


@pytest.fixture
def clock() -> ManualClock:
    # 10 s into an hour-long window, whatever the time of the run.
    return ManualClock(datetime(2027, 5, 15, 4, 0, 10, tzinfo=UTC))


async def _redis_factory(stack: AsyncExitStack, clock: ManualClock) -> LimiterFactory:
    services.require_redis()
    prefix = services.unique_redis_prefix()
    admin = Redis.from_url(services.REDIS_URL)

    async def clean() -> None:
        keys = [key async for key in admin.scan_iter(match=f"{prefix}*")]
        if keys:
            await admin.delete(*keys)
        await admin.aclose()

    stack.push_async_callback(clean)

    async def make() -> RateLimiter:
        client = Redis.from_url(services.REDIS_URL)
        stack.push_async_callback(client.aclose)
        return RedisRateLimiter(client, prefix=prefix, clock=clock)

    return make


async def _nats_client(stack: AsyncExitStack) -> Client:
    client = await connect_nats(services.NATS_URL, name="mocheong-ratelimit-test")
    stack.push_async_callback(client.close)
    return client


async def _nats_factory(stack: AsyncExitStack, clock: ManualClock) -> LimiterFactory:
    await services.require_nats()
    bucket = _unique_bucket()
    admin = await _nats_client(stack)
    stack.push_async_callback(NatsRateLimiter(admin, bucket=bucket, ttl_seconds=LONG).delete)

    async def make() -> RateLimiter:
        client = await _nats_client(stack)
        return NatsRateLimiter(client, bucket=bucket, ttl_seconds=LONG, clock=clock)

    return make


def _unique_bucket() -> str:
    return f"{services.unique_nats_prefix()}_RATE_LIMITS"


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("nats", marks=pytest.mark.nats),
    ]
)
async def make_limiter(
    request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[LimiterFactory]:
    async with AsyncExitStack() as stack:
        if request.param == "redis":
            yield await _redis_factory(stack, clock)
        elif request.param == "nats":
            yield await _nats_factory(stack, clock)
        else:
            limiter = InMemoryRateLimiter(clock)

            async def same() -> RateLimiter:
                return limiter

            yield same


# -- the contract -------------------------------------------------------------------------


async def test_hits_within_the_limit_pass_and_the_next_is_refused(
    make_limiter: LimiterFactory,
) -> None:
    limiter = await make_limiter()
    limit = Limit(count=3, window_seconds=LONG)

    allowed = [await limiter.hit("login:ip:1.2.3.4", limit) for _ in range(3)]
    refused = [await limiter.hit("login:ip:1.2.3.4", limit) for _ in range(2)]

    assert allowed == [0, 0, 0]
    assert refused == [LONG - 10, LONG - 10]


async def test_a_new_window_starts_afresh(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    limiter = await make_limiter()
    limit = Limit(count=1, window_seconds=60)
    assert await limiter.hit("k", limit) == 0
    clock.advance(49.5)
    assert await limiter.hit("k", limit) == 1  # half a second left, rounded up

    clock.advance(0.5)

    assert await limiter.hit("k", limit) == 0
    assert await limiter.hit("k", limit) == 60


async def test_keys_are_counted_apart(make_limiter: LimiterFactory) -> None:
    limiter = await make_limiter()
    limit = Limit(count=1, window_seconds=LONG)
    keys = [
        "login:account:a@example.com",
        "login:account:b@example.com",
        "a.b",
        "a*b",
        "a>b",
        "a b",
        "_",
    ]

    first = [await limiter.hit(key, limit) for key in keys]
    second = [await limiter.hit(key, limit) for key in keys]

    assert first == [0] * len(keys)
    assert second == [LONG - 10] * len(keys)


async def test_a_zero_limit_refuses_every_hit(make_limiter: LimiterFactory) -> None:
    limiter = await make_limiter()

    assert await limiter.hit("closed", Limit(count=0, window_seconds=60)) == 50


async def test_enforce_raises_rate_limited_with_the_wait(make_limiter: LimiterFactory) -> None:
    limiter = await make_limiter()
    limit = Limit(count=1, window_seconds=LONG)
    await enforce(limiter, "register:ip:1.2.3.4", limit)

    with pytest.raises(RateLimited) as caught:
        await enforce(limiter, "register:ip:1.2.3.4", limit)

    assert caught.value.retry_after == LONG - 10
    assert caught.value.code == "rate_limited"


async def test_clients_sharing_the_counters_share_the_limit(
    make_limiter: LimiterFactory,
) -> None:
    first, second = await make_limiter(), await make_limiter()
    limit = Limit(count=2, window_seconds=LONG)

    assert await first.hit("k", limit) == 0
    assert await second.hit("k", limit) == 0
    assert await first.hit("k", limit) == LONG - 10
    assert await second.hit("k", limit) == LONG - 10


async def test_concurrent_hits_from_several_clients_never_pass_the_limit(
    make_limiter: LimiterFactory,
) -> None:
    clients = [await make_limiter() for _ in range(3)]
    limit = Limit(count=7, window_seconds=LONG)

    answers = await asyncio.gather(
        *(clients[n % 3].hit("rsvp:ip:5.6.7.8", limit) for n in range(30))
    )

    assert answers.count(0) == 7
    assert sorted(set(answers)) == [0, LONG - 10]
    assert await clients[0].hit("rsvp:ip:5.6.7.8", limit) == LONG - 10


# -- Redis only ---------------------------------------------------------------------------


@pytest.fixture
async def prefix(redis_client: Redis) -> AsyncIterator[str]:
    value = services.unique_redis_prefix()
    yield value
    keys = [key async for key in redis_client.scan_iter(match=f"{value}*")]
    if keys:
        await redis_client.delete(*keys)


@pytest.mark.redis
async def test_another_redis_prefix_is_another_deployment(
    redis_client: Redis, prefix: str, clock: ManualClock
) -> None:
    limit = Limit(count=1, window_seconds=LONG)
    mine = RedisRateLimiter(redis_client, prefix=prefix + "a:", clock=clock)
    theirs = RedisRateLimiter(redis_client, prefix=prefix + "b:", clock=clock)

    assert await mine.hit("k", limit) == 0
    assert await theirs.hit("k", limit) == 0


@pytest.mark.redis
async def test_redis_keys_expire_with_their_window(redis_client: Redis, prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, prefix=prefix)

    await limiter.hit("login:ip:1.2.3.4", Limit(count=5, window_seconds=60))
    await limiter.hit("login:ip:1.2.3.4", Limit(count=5, window_seconds=60))

    keys = [key async for key in redis_client.scan_iter(match=f"{prefix}*")]
    assert len(keys) == 1
    assert 0 < await redis_client.ttl(keys[0]) <= 61


# -- NATS only ----------------------------------------------------------------------------


@pytest.fixture
async def nats_stack() -> AsyncIterator[AsyncExitStack]:
    await services.require_nats()
    async with AsyncExitStack() as stack:
        yield stack


@pytest.fixture
async def nats_bucket(nats_stack: AsyncExitStack) -> str:
    """A bucket of this test's own, deleted afterwards (with whatever TTL it was given)."""
    bucket = _unique_bucket()
    admin = await _nats_client(nats_stack)
    nats_stack.push_async_callback(NatsRateLimiter(admin, bucket=bucket, ttl_seconds=LONG).delete)
    return bucket


async def _kv(stack: AsyncExitStack, bucket: str) -> KeyValue:
    return await (await _nats_client(stack)).jetstream().key_value(bucket)


@pytest.mark.nats
async def test_the_nats_bucket_keeps_one_revision_per_counter_in_memory_for_its_ttl(
    nats_stack: AsyncExitStack, nats_bucket: str, clock: ManualClock
) -> None:
    limiter = NatsRateLimiter(
        await _nats_client(nats_stack), bucket=nats_bucket, ttl_seconds=LONG, clock=clock
    )
    for _ in range(3):
        await limiter.hit("login:ip:1.2.3.4", Limit(count=2, window_seconds=60))

    kv = await _kv(nats_stack, nats_bucket)
    status = await kv.status()
    config = status.stream_info.config
    keys = await kv.keys()
    assert (status.ttl, status.history, config.storage) == (LONG, 1, "memory")
    assert status.values == 1  # three hits, one counter, one revision; the refusal wrote nothing
    assert keys == [f"={b'login:ip:1.2.3.4'.hex()}.{int(clock.now().timestamp()) // 60}"]
    assert (await kv.get(keys[0])).value == b"2"


@pytest.mark.nats
async def test_a_changed_ttl_setting_adjusts_the_existing_bucket(
    nats_stack: AsyncExitStack, nats_bucket: str
) -> None:
    limit = Limit(count=1, window_seconds=60)
    await NatsRateLimiter(await _nats_client(nats_stack), bucket=nats_bucket, ttl_seconds=LONG).hit(
        "k", limit
    )

    longer = NatsRateLimiter(
        await _nats_client(nats_stack), bucket=nats_bucket, ttl_seconds=2 * LONG
    )
    await longer.hit("k", limit)

    assert (await (await _kv(nats_stack, nats_bucket)).status()).ttl == 2 * LONG


@pytest.mark.nats
async def test_a_window_longer_than_the_bucket_ttl_is_refused_as_a_mistake(
    nats_stack: AsyncExitStack, nats_bucket: str
) -> None:
    limiter = NatsRateLimiter(await _nats_client(nats_stack), bucket=nats_bucket, ttl_seconds=60)

    with pytest.raises(ValueError, match="outlives the bucket"):
        await limiter.hit("k", Limit(count=1, window_seconds=61))


@pytest.mark.nats
async def test_a_bucket_the_server_lost_is_made_again(
    nats_stack: AsyncExitStack, nats_bucket: str, clock: ManualClock
) -> None:
    client = await _nats_client(nats_stack)
    limiter = NatsRateLimiter(client, bucket=nats_bucket, ttl_seconds=LONG, clock=clock)
    limit = Limit(count=1, window_seconds=LONG)
    assert await limiter.hit("k", limit) == 0
    await client.jetstream().delete_key_value(nats_bucket)  # a restarted server, say

    assert await limiter.hit("k", limit) == 0  # the count started afresh
    assert await limiter.hit("k", limit) == LONG - 10
    assert (await (await _kv(nats_stack, nats_bucket)).status()).values == 1


async def _limiter_with_tries(
    stack: AsyncExitStack, bucket: str, clock: ManualClock, *, tries: int
) -> NatsRateLimiter:
    client = await _nats_client(stack)
    return NatsRateLimiter(client, bucket=bucket, ttl_seconds=LONG, max_tries=tries, clock=clock)


@pytest.mark.nats
async def test_simultaneous_hits_in_one_process_are_counted_by_one_write(
    nats_stack: AsyncExitStack, nats_bucket: str, clock: ManualClock
) -> None:
    # One try each, as a hit that loses every race gets: when each hit made its own
    # compare-and-set, 49 of these 50 lost to the first and were refused.
    limiter = await _limiter_with_tries(nats_stack, nats_bucket, clock, tries=1)
    limit = Limit(count=45, window_seconds=LONG)

    answers = await asyncio.gather(*(limiter.hit("chat:user:1", limit) for _ in range(50)))

    kv = await _kv(nats_stack, nats_bucket)
    (key,) = await kv.keys()
    assert answers == [0] * 45 + [LONG - 10] * 5
    assert (await kv.get(key)).value == b"45"
    assert (await kv.status()).stream_info.state.last_seq < 45  # fewer writes than hits


@pytest.mark.nats
async def test_a_counter_that_others_keep_changing_is_refused_for_a_second(
    nats_stack: AsyncExitStack,
    nats_bucket: str,
    clock: ManualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limiter = await _limiter_with_tries(nats_stack, nats_bucket, clock, tries=3)
    limit = Limit(count=5, window_seconds=LONG)
    assert await limiter.hit("k", limit) == 0
    rival = await _kv(nats_stack, nats_bucket)
    read = KeyValue.get
    reads: list[str] = []

    async def read_then_rival_writes(kv: KeyValue, key: str, *args: Any, **kwargs: Any) -> Any:
        entry = await read(kv, key, *args, **kwargs)
        if kv is not rival:  # another process writes between this read and the update
            reads.append(key)
            await rival.put(key, entry.value or b"")
        return entry

    monkeypatch.setattr(KeyValue, "get", read_then_rival_writes)

    assert await limiter.hit("k", limit) == 1
    assert len(reads) == 3
    assert (await rival.get(reads[0])).value == b"1"  # nothing counted by the refused hit


@pytest.mark.nats
async def test_nats_rate_limits_without_a_server_are_unavailable(
    nats_stack: AsyncExitStack, nats_bucket: str
) -> None:
    client = await _nats_client(nats_stack)
    limiter = NatsRateLimiter(client, bucket=nats_bucket, ttl_seconds=LONG)
    await client.close()

    with pytest.raises(ServiceUnavailable, match="rate limiting"):
        await limiter.hit("k", Limit(count=1, window_seconds=60))
