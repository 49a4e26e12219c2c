"""The job queue and the worker on NATS JetStream (``MOCHEONG_BROKER=nats``), against the
machine's NATS: a job enqueued through the port runs once in the worker in its own REQUEST
scope; a failing job is tried again and then dead-lettered; a server without JetStream is a
clear start-up error; a connection outlives a server frozen under a flush."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest
from dishka import AsyncContainer, make_async_container
from nats.aio.client import Client
from nats.errors import FlushTimeoutError
from nats.js.errors import NotFoundError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.nats.connection import NatsNames, NatsSetupError, connect_nats
from adapters.nats.queue import ERROR_HEADER, NatsJobQueue
from entrypoints.bootstrap.providers import build_providers
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.runtime.tasks import task
from entrypoints.worker.app import serve_nats_worker
from mocheong_core.jobs.ports import JobQueue
from mocheong_core.kernel.ratelimit import Limit, RateLimiter
from tests import services
from tests.integration.private_nats import private_nats_server

pytestmark = pytest.mark.nats

RECORD = "test.jobs_nats.record"
FAIL = "test.jobs_nats.fail"
GUARD = 30.0
runs: list[tuple[str, str, int]] = []
failures: list[int] = []


@task(RECORD)
async def record(container: AsyncContainer, payload: dict[str, Any]) -> None:
    session = await container.get(AsyncSession)
    runs.append((payload["n"], container.scope.name, id(session)))


@task(FAIL)
async def fail(container: AsyncContainer, payload: dict[str, Any]) -> None:
    failures.append(len(failures) + 1)
    raise RuntimeError("the model said no")


@pytest.fixture
async def nats_settings(settings: Settings) -> AsyncIterator[Settings]:
    await services.require_nats()
    runs.clear()
    failures.clear()
    configured = evolve(
        settings,
        broker="nats",
        nats_url=services.NATS_URL,
        nats_prefix=services.unique_nats_prefix(),
        nats_job_backoff=0.05,
        jobs_max_tries=3,
    )
    yield configured
    client = await connect_nats(services.NATS_URL, name="test-clean-up")
    names = NatsNames(configured.broker.nats_prefix)
    kv = f"KV_{names.rate_limits}"
    for stream in (names.jobs_stream, names.dead_stream, names.chat_stream, kv):
        with contextlib.suppress(NotFoundError):  # never created by this test
            await client.jetstream().delete_stream(stream)
    await client.close()


@pytest.fixture
async def container(nats_settings: Settings) -> AsyncIterator[AsyncContainer]:
    made = make_async_container(*build_providers(nats_settings), context={Settings: nats_settings})
    yield made
    await made.close()


async def run_worker_until(settings: Settings, done: Callable[[], Awaitable[bool]]) -> None:
    """Runs a worker until ``done()`` holds (polled, up to the hang guard)."""
    stop = asyncio.Event()
    worker = asyncio.create_task(serve_nats_worker(settings, stop=stop))
    try:
        for _ in range(int(GUARD / 0.02)):
            if await done():
                return
            await asyncio.sleep(0.02)
        pytest.fail("the worker never got there")
    finally:
        stop.set()
        await worker


async def test_a_queued_task_runs_once_in_the_worker_in_its_own_request_scope(
    container: AsyncContainer, nats_settings: Settings
) -> None:
    queue = await container.get(JobQueue)
    assert isinstance(queue, NatsJobQueue)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    assert await queue.enqueue(RECORD, {"n": "1"}, job_id=first)
    assert await queue.enqueue(RECORD, {"n": "2"}, job_id=second)
    assert not await queue.enqueue(RECORD, {"n": "1 again"}, job_id=first)

    async def both_ran() -> bool:
        return len(runs) >= 2

    await run_worker_until(nats_settings, both_ran)

    assert sorted(n for n, _, _ in runs) == ["1", "2"]
    assert {scope for _, scope, _ in runs} == {"REQUEST"}
    assert runs[0][2] != runs[1][2]  # a database session per job
    client = await container.get(Client)
    info = await client.jetstream().stream_info(
        NatsNames(nats_settings.broker.nats_prefix).jobs_stream
    )
    assert info.state.messages == 0  # acknowledged jobs leave the work queue


async def test_a_failing_job_is_tried_again_then_dead_lettered(
    container: AsyncContainer, nats_settings: Settings
) -> None:
    queue = await container.get(JobQueue)
    job = str(uuid.uuid4())
    assert await queue.enqueue(FAIL, {"why": "test"}, job_id=job)
    client = await container.get(Client)
    names = NatsNames(nats_settings.broker.nats_prefix)
    js = client.jetstream()

    async def dead_lettered() -> bool:
        return (await js.stream_info(names.dead_stream)).state.messages > 0

    await run_worker_until(nats_settings, dead_lettered)

    assert failures == [1, 2, 3]  # JOBS_MAX_TRIES deliveries, then no more
    letter = await js.get_last_msg(names.dead_stream, names.dead_job(FAIL))
    assert msgspec.json.decode(letter.data or b"") == {"why": "test"}
    assert "the model said no" in (letter.headers or {}).get(ERROR_HEADER, "")
    assert (await js.stream_info(names.jobs_stream)).state.messages == 0


async def test_the_nats_deployment_needs_no_redis(
    container: AsyncContainer, nats_settings: Settings
) -> None:
    from adapters.nats.ratelimit import NatsRateLimiter
    from adapters.nats.stream import NatsStreamBroker
    from mocheong_core.chat.ports import StreamBroker

    limiter = await container.get(RateLimiter)
    assert isinstance(await container.get(StreamBroker), NatsStreamBroker)
    assert isinstance(limiter, NatsRateLimiter)
    assert await limiter.hit("k", Limit(count=1, window_seconds=60)) == 0
    kv = (
        await (await container.get(Client))
        .jetstream()
        .key_value(NatsNames(nats_settings.broker.nats_prefix).rate_limits)
    )
    assert (await kv.status()).values == 1  # the counter lives in the deployment's bucket


async def test_a_server_without_jetstream_is_a_clear_start_up_error() -> None:
    async with private_nats_server() as (url, _):  # no -js
        with pytest.raises(NatsSetupError, match="nats-server -js"):
            await connect_nats(url, name="test")


async def test_a_flush_that_gave_up_on_a_frozen_server_leaves_the_connection_working(
    tmp_path: Path,
) -> None:
    async with private_nats_server("-js", "-sd", str(tmp_path)) as (url, server):
        client = await connect_nats(url, name="test")
        try:
            server.send_signal(signal.SIGSTOP)  # frozen: its socket open, nothing answers
            with pytest.raises(FlushTimeoutError):
                await client.flush(timeout=0.2)  # as the readiness probe does
            server.send_signal(signal.SIGCONT)
            # Its PONG arrives now; the read loop used to stop on it, and this timed out.
            async with asyncio.timeout(GUARD):
                await client.jetstream(timeout=GUARD).account_info()
        finally:
            server.send_signal(signal.SIGCONT)
            await client.close()
