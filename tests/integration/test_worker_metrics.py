"""A chat turn run by a ``mocheong worker`` process (Redis, a model fake speaking Chat
Completions): the worker's own ``/metrics`` listener (``MOCHEONG_WORKER_METRICS_PORT``) shows
the tokens of that turn, which the API's ``/metrics`` cannot."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import PREFIX, VARIABLES, Settings, evolve
from tests import services
from tests.fakes.providers import NAMES_TURN, FakeProvider, fake_provider
from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import owner, stored, submit

GUARD = 180.0  # hang guard only: the worker process imports and connects first
SHARED = ("env", "jwt_secret", "data_dir", "redis_url", "redis_prefix", "chat_coalesce_ms")


@pytest.fixture
def backend() -> str:
    """SQLite (one file both processes open): the metrics are under test, not the database."""
    return "sqlite"


@pytest.fixture
async def provider() -> AsyncIterator[FakeProvider]:
    async with fake_provider("openai") as fake:
        yield fake


@pytest.fixture
def configured(settings: Settings, provider: FakeProvider) -> Settings:
    services.require_redis()
    return evolve(
        settings,
        redis_url=services.REDIS_URL,
        redis_prefix=services.unique_redis_prefix(),
        chat_coalesce_ms=0,
        **provider.settings(),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def worker_port(configured: Settings, provider: FakeProvider) -> Iterator[int]:
    port = free_port()
    names = [*SHARED, *provider.settings()]
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if not k.startswith(PREFIX)}
    for name in names:
        group, field = VARIABLES[PREFIX + name.upper()]
        env[PREFIX + name.upper()] = str(getattr(getattr(configured, group), field.name))
    env[f"{PREFIX}WORKER_METRICS_PORT"] = str(port)
    worker = subprocess.Popen(
        [sys.executable, "-c", "from entrypoints.cli import main; main()", "worker"], env=env
    )
    try:
        yield port
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=GUARD) == 0


@pytest.fixture
async def client(configured: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(configured)) as test_client:
        yield test_client


async def scrape(port: int) -> str:
    async with httpx.AsyncClient() as http:
        for _ in range(int(GUARD * 10)):
            try:
                return (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise AssertionError("the worker never served /metrics")


def tokens(text: str, kind: str) -> float:
    labels = f'kind="{kind}",model="fake-model",provider="openai"'
    found = re.search(rf"^mocheong_model_tokens_total\{{{labels}\}} (\S+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


async def test_the_workers_metrics_count_the_tokens_of_the_turns_it_runs(
    client: Client, provider: FakeProvider, worker_port: int
) -> None:
    before = await scrape(worker_port)
    assert "# TYPE mocheong_model_tokens_total counter" in before
    in_api = (await client.get("/metrics")).text
    provider.script_turn(NAMES_TURN)
    who = await owner(client)

    accepted = await submit(client, who, "신랑은 김도윤, 신부는 박하은이에요.")
    reply = await stored(client, who, accepted["session_id"], accepted["message_id"])
    after = await scrape(worker_port)

    assert reply["status"] == "completed", reply
    # Four model calls of 30 output tokens each, counted by the process that made them.
    assert tokens(after, "output") - tokens(before, "output") == 4 * 30
    assert tokens(after, "input") > tokens(before, "input")
    assert (await client.get("/metrics")).text.count("fake-model") == in_api.count("fake-model")
