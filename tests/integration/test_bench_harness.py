"""The benchmarks' and chaos runs' harness (``bench/``): the ``--broker`` option, the stack's
broker wiring and the private ``nats-server`` a chaos run kills and restarts."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.js import api
from nats.js.errors import NotFoundError

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from chat_report import add_broker_option, broker_list
from chat_stack import PrivateNats, Stack


def test_broker_list_keeps_the_order_given_and_each_broker_once() -> None:
    assert broker_list("nats, REDIS,nats") == ["nats", "redis"]


@pytest.mark.parametrize("value", ["", " , ", "kafka", "redis,kafka"])
def test_broker_list_refuses_what_is_not_a_broker(value: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="redis, nats"):
        broker_list(value)


def test_the_broker_option_defaults_to_both_and_says_what_was_wrong(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser()
    add_broker_option(parser)
    assert parser.parse_args([]).broker == ["redis", "nats"]
    with pytest.raises(SystemExit):
        parser.parse_args(["--broker", "rabbit"])
    assert "'rabbit': name one or more of redis, nats" in capsys.readouterr().err


def test_a_nats_stack_gives_its_processes_nats_and_no_redis() -> None:
    stack = Stack(broker="nats")
    try:
        assert stack.nats is not None
        env = stack.env()
        assert env["MOCHEONG_BROKER"] == "nats"
        assert env["MOCHEONG_NATS_URL"] == stack.nats.url == stack.broker_url
        assert "MOCHEONG_REDIS_URL" not in env
        assert stack.broker_prefix == "mc"
    finally:
        stack.stop()
    assert not stack.nats.store.exists()


def test_a_redis_stack_keeps_its_redis() -> None:
    stack = Stack()
    try:
        assert stack.nats is None
        assert stack.env()["MOCHEONG_REDIS_URL"] == stack.redis_url == stack.broker_url
        assert "MOCHEONG_BROKER" not in stack.env()
    finally:
        stack.stop()


def test_a_stack_refuses_an_unknown_broker() -> None:
    with pytest.raises(ValueError, match="unknown broker 'kafka'"):
        Stack(broker="kafka")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PrivateNats]:
    private = PrivateNats(tmp_path)
    private.start()
    yield private
    private.remove()


def streams_of(url: str) -> list[str]:
    async def names() -> list[str]:
        client = await nats.connect(url)
        try:
            return [info.config.name or "" for info in await client.jetstream().streams_info()]
        finally:
            await client.close()

    return asyncio.run(names())


def add_stream(url: str, name: str) -> None:
    async def add() -> None:
        client = await nats.connect(url)
        try:
            config = api.StreamConfig(name=name, subjects=[f"{name.lower()}.>"])
            await client.jetstream().add_stream(config)
            await client.jetstream().publish(f"{name.lower()}.x", b"kept?")
        finally:
            await client.close()

    asyncio.run(add())


@pytest.mark.nats
def test_the_private_server_recovers_its_store_or_starts_empty(server: PrivateNats) -> None:
    assert server.answers()
    assert server.url != "nats://127.0.0.1:4222"
    add_stream(server.url, "KEPT")

    server.restart(keep_data=True)
    assert streams_of(server.url) == ["KEPT"]

    server.restart()
    assert streams_of(server.url) == []
    assert server.store.is_dir()


@pytest.mark.nats
def test_a_removed_server_answers_no_more_and_leaves_no_store(server: PrivateNats) -> None:
    server.remove()
    assert not server.alive
    assert not server.answers()
    assert not server.store.exists()


@pytest.mark.nats
def test_a_frozen_server_answers_nothing_until_woken(server: PrivateNats) -> None:
    add_stream(server.url, "FROZEN")
    server.signal(signal.SIGSTOP)
    try:
        assert not server.answers()
    finally:
        server.signal(signal.SIGCONT)
    assert server.answers()

    async def still_there() -> None:
        client = await nats.connect(server.url)
        try:
            with pytest.raises(NotFoundError):
                await client.jetstream().stream_info("GONE")
            assert (await client.jetstream().stream_info("FROZEN")).state.messages == 1
        finally:
            await client.close()

    asyncio.run(still_there())
