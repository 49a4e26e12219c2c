"""Script calls that share round trips (``RedisScripts``), on the real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from adapters.redis.scripts import RedisScripts
from tests import services

# Echoes its key and argument; refuses the argument "bad" with an error of its own.
ECHO = """
if ARGV[1] == 'bad' then return redis.error_reply('bad argument') end
return {KEYS[1], ARGV[1]}
"""
INCR = "return redis.call('INCR', KEYS[1])"


@pytest.fixture
def redis(redis_client: Redis) -> Redis:
    return redis_client


def count_round_trips(redis: Redis) -> list[int]:
    """Counts connection checkouts: each round trip (one call or one pipeline) takes one."""
    pool = redis.connection_pool
    checkouts = [0]
    original = pool.get_connection

    async def counted(*args: Any, **kwargs: Any) -> Any:
        checkouts[0] += 1
        return await original(*args, **kwargs)

    pool.get_connection = counted  # type: ignore[method-assign]
    return checkouts


async def test_calls_made_together_share_one_round_trip(redis: Redis) -> None:
    scripts = RedisScripts(redis)
    echo = scripts.register(ECHO)
    await echo(keys=["k"], args=["warm"])  # loads the script once
    trips = count_round_trips(redis)

    answers = await asyncio.gather(*(echo(keys=[f"k{i}"], args=[str(i)]) for i in range(20)))

    assert answers == [[f"k{i}".encode(), str(i).encode()] for i in range(20)]
    assert trips[0] == 1


async def test_different_scripts_share_the_batch_and_each_stays_atomic(redis: Redis) -> None:
    scripts = RedisScripts(redis)
    echo, incr = scripts.register(ECHO), scripts.register(INCR)
    key = f"{services.unique_redis_prefix()}n"
    try:
        results = await asyncio.gather(
            *(incr(keys=[key]) for _ in range(10)), echo(keys=["x"], args=["y"])
        )
    finally:
        await redis.delete(key)

    assert sorted(results[:10]) == list(range(1, 11))
    assert results[10] == [b"x", b"y"]


async def test_calls_one_after_another_each_make_their_own_trip(redis: Redis) -> None:
    scripts = RedisScripts(redis)
    echo = scripts.register(ECHO)
    await echo(keys=["k"], args=["warm"])
    trips = count_round_trips(redis)

    answers = [await echo(keys=["k"], args=[str(i)]) for i in range(3)]

    assert answers == [[b"k", str(i).encode()] for i in range(3)]
    assert trips[0] == 3


async def test_a_failing_call_fails_alone(redis: Redis) -> None:
    echo = RedisScripts(redis).register(ECHO)

    results = await asyncio.gather(
        echo(keys=["a"], args=["1"]),
        echo(keys=["b"], args=["bad"]),
        echo(keys=["c"], args=["3"]),
        return_exceptions=True,
    )

    assert results[0] == [b"a", b"1"]
    assert isinstance(results[1], ResponseError)
    assert "bad argument" in str(results[1])
    assert results[2] == [b"c", b"3"]


@pytest.mark.parametrize("together", [1, 5])
async def test_scripts_forgotten_by_redis_are_loaded_again(redis: Redis, together: int) -> None:
    source = ECHO + f"-- forgotten {together}\n"
    echo = RedisScripts(redis).register(source)
    await echo(keys=["k"], args=["before"])
    await redis.script_flush()

    answers = await asyncio.gather(*(echo(keys=["k"], args=[str(i)]) for i in range(together)))

    assert answers == [[b"k", str(i).encode()] for i in range(together)]


async def test_an_unreachable_redis_fails_every_call_of_the_batch() -> None:
    client = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    echo = RedisScripts(client).register(ECHO)
    try:
        results = await asyncio.gather(
            *(echo(keys=["k"], args=[str(i)]) for i in range(3)), return_exceptions=True
        )
    finally:
        await client.aclose()

    assert all(isinstance(result, RedisConnectionError) for result in results)


async def test_a_cancelled_caller_leaves_the_others_answered(redis: Redis) -> None:
    echo = RedisScripts(redis).register(ECHO)
    first = asyncio.ensure_future(echo(keys=["a"], args=["1"]))
    second = asyncio.ensure_future(echo(keys=["b"], args=["2"]))
    await asyncio.sleep(0)
    first.cancel()

    assert await second == [b"b", b"2"]
    with pytest.raises(asyncio.CancelledError):
        await first
