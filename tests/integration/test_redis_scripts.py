"""Script calls that share round trips (``RedisScripts``), on the real Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
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


def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts writes to Redis: each round trip (one call or one batch) is one write."""
    writes = [0]
    original = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        writes[0] += 1
        await original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return writes


async def test_calls_made_together_share_one_round_trip(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = RedisScripts(redis)
    echo = scripts.register(ECHO)
    await echo(keys=["k"], args=["warm"])  # loads the script once
    trips = count_round_trips(monkeypatch)

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


async def test_calls_one_after_another_each_make_their_own_trip(
    redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    scripts = RedisScripts(redis)
    echo = scripts.register(ECHO)
    await echo(keys=["k"], args=["warm"])
    trips = count_round_trips(monkeypatch)

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


async def test_batches_of_successive_turns_are_answered_in_the_order_sent(redis: Redis) -> None:
    # Each call in a turn of its own: the batches follow each other on the connection before
    # their replies come back, and each reply must reach its own caller.
    incr = RedisScripts(redis).register(INCR)
    key = f"{services.unique_redis_prefix()}order"
    calls = []
    try:
        await incr(keys=[f"{key}:warm"])  # loaded: no call is sent twice
        for _ in range(50):
            calls.append(asyncio.ensure_future(incr(keys=[key])))
            await asyncio.sleep(0)
        results = await asyncio.gather(*calls)
    finally:
        await redis.delete(key, f"{key}:warm")

    assert results == list(range(1, 51))


async def test_a_connection_redis_closed_is_replaced_before_the_next_call(redis: Redis) -> None:
    name = f"scripts-{services.unique_redis_prefix().strip(':')}"
    client = Redis.from_url(services.REDIS_URL, client_name=name)
    echo = RedisScripts(client).register(ECHO)
    try:
        assert await echo(keys=["k"], args=["before"]) == [b"k", b"before"]
        for entry in await redis.client_list():
            if entry.get("name") == name:
                await redis.client_kill_filter(_id=entry["id"])
        await asyncio.sleep(0.05)  # the close reaches this process

        assert await echo(keys=["k"], args=["after"]) == [b"k", b"after"]
    finally:
        await client.aclose()
