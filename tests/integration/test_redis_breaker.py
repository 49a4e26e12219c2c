"""A frozen Redis (SIGSTOP) on a private ``redis-server``: the first command waits for the read
deadline, the next ones of the process fail at once, and Redis answering again ends that."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.redis.breaker import GuardedConnection, RedisUnavailable
from adapters.redis.scripts import RedisScripts
from entrypoints.bootstrap.providers import redis_pool
from tests.conftest import make_settings

COOLDOWN = 0.2


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """A redis-server of this test's own, which it may freeze."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not on PATH: this test freezes a Redis of its own (the machine's "
            "Redis package provides it; see docs/development.md)",
            pytrace=False,
        )
    port = free_port()
    args = [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--dir",
        str(tmp_path),
    ]
    server = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                subprocess.run(["sleep", "0.05"], check=True)
        yield server, url
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait()


@pytest.fixture
async def client(
    redis_server: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> AsyncIterator[Redis]:
    _, url = redis_server
    settings = make_settings(
        tmp_path,
        redis_url=url,
        redis_socket_timeout=1.0,
        redis_breaker_cooldown=COOLDOWN,
    )
    redis = Redis.from_pool(redis_pool(settings))
    yield redis
    await redis.aclose()


def breaker_of(redis: Redis) -> object:
    return redis.connection_pool.connection_kwargs["breaker"]


async def test_a_frozen_redis_fails_the_second_command_at_once_and_recovers(
    redis_server: tuple[subprocess.Popen[bytes], str], client: Redis
) -> None:
    server, _ = redis_server
    scripts = RedisScripts(client)
    echo = scripts.register("return ARGV[1]")
    await client.set("k", "v")
    assert await echo(args=["x"]) == b"x"

    server.send_signal(signal.SIGSTOP)
    with pytest.raises(RedisTimeoutError):  # the first waits for the read deadline
        await client.get("k")
    with pytest.raises(RedisUnavailable):  # the next fail at once, every path alike
        await client.get("k")
    with pytest.raises(RedisUnavailable):
        await echo(args=["y"])
    with pytest.raises(RedisUnavailable):  # a new connection too
        await Redis(connection_pool=client.connection_pool).ping()

    server.send_signal(signal.SIGCONT)
    await asyncio.sleep(COOLDOWN)
    assert await client.get("k") == b"v"  # the probe, answered
    assert await echo(args=["z"]) == b"z"
    assert await client.get("k") == b"v"


async def test_a_probe_into_a_still_frozen_redis_keeps_the_others_refused(
    redis_server: tuple[subprocess.Popen[bytes], str], client: Redis
) -> None:
    server, _ = redis_server
    await client.set("k", "v")
    server.send_signal(signal.SIGSTOP)
    with pytest.raises(RedisTimeoutError):
        await client.get("k")
    await asyncio.sleep(COOLDOWN)
    probe = asyncio.create_task(client.get("k"))
    await asyncio.sleep(0.05)
    with pytest.raises(RedisUnavailable):  # while the probe waits
        await client.get("k")
    with pytest.raises(RedisTimeoutError):
        await probe
    with pytest.raises(RedisUnavailable):
        await client.get("k")
    server.send_signal(signal.SIGCONT)
    await asyncio.sleep(COOLDOWN)
    assert await client.get("k") == b"v"


async def test_reads_that_wait_on_purpose_do_not_open_it_and_reconnect_after(
    redis_server: tuple[subprocess.Popen[bytes], str], client: Redis
) -> None:
    server, _ = redis_server
    pool = client.connection_pool
    # As the chat dispatcher makes its connection: no read deadline, the pool's breaker.
    listener = pool.connection_class(**{**pool.connection_kwargs, "socket_timeout": None})
    assert isinstance(listener, GuardedConnection)
    await listener.connect()  # type: ignore[no-untyped-call]
    await listener.send_command("SUBSCRIBE", "news")
    assert (await listener.read_response())[0] == b"subscribe"
    pubsub = client.pubsub()
    await pubsub.subscribe("news")  # as the cache peers and the worker's wake-up listen
    assert (await pubsub.get_message(timeout=1.0))["type"] == "subscribe"

    server.send_signal(signal.SIGSTOP)
    assert await pubsub.get_message(timeout=0.5) is None
    waiting = asyncio.create_task(listener.read_response())
    await asyncio.sleep(0.5)
    assert not waiting.done()
    assert not listener.breaker.is_open  # type: ignore[attr-defined]

    with pytest.raises(RedisTimeoutError):  # a command opens it
        await client.get("k")
    await listener.disconnect(nowait=True)  # the dispatcher's watchdog drops its connection
    with pytest.raises(RedisConnectionError):
        await waiting
    with pytest.raises(RedisUnavailable):  # its reconnection is refused while it is open
        await listener.connect()  # type: ignore[no-untyped-call]

    server.send_signal(signal.SIGCONT)
    await asyncio.sleep(COOLDOWN)
    assert await client.ping()
    await listener.connect()  # type: ignore[no-untyped-call]
    await listener.send_command("SUBSCRIBE", "news")
    assert (await listener.read_response())[0] == b"subscribe"
    await client.publish("news", "back")
    assert (await listener.read_response())[2] == b"back"
    await listener.disconnect()
    await pubsub.aclose()  # type: ignore[no-untyped-call]


async def test_a_script_call_after_an_idle_spell_waits_for_one_deadline_not_two(
    redis_server: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    server, url = redis_server
    settings = make_settings(
        tmp_path,
        redis_url=url,
        redis_socket_timeout=1.0,
        redis_health_check_interval=1,
        redis_breaker_cooldown=COOLDOWN,
    )
    redis = Redis.from_pool(redis_pool(settings))
    echo = RedisScripts(redis).register("return ARGV[1]")
    assert await echo(args=["x"]) == b"x"
    await asyncio.sleep(1.1)  # the script connection is now proved by a PING first
    server.send_signal(signal.SIGSTOP)
    # The PING's timeout is the call's answer: no second connection that would wait again.
    with pytest.raises(RedisTimeoutError):
        await echo(args=["y"])
    server.send_signal(signal.SIGCONT)
    await asyncio.sleep(COOLDOWN)
    assert await echo(args=["z"]) == b"z"
    await redis.aclose()
