"""ArqJobQueue and the worker against the machine's Redis: a job enqueued through the port is
run by an arq worker (here in-process, in burst mode) in its own REQUEST scope, once."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import arq.worker
import pytest
from dishka import AsyncContainer, make_async_container
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.arq.queue import ArqJobQueue, arq_client, queue_name
from entrypoints.bootstrap.jobs import arq_wake_channel
from entrypoints.bootstrap.providers import build_providers
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.runtime.tasks import task
from entrypoints.worker.app import build_worker
from mocheong_core.errors import ServiceUnavailable
from mocheong_core.jobs.ports import JobQueue
from tests import services

RECORD = "test.jobs_arq.record"
FINISH = "test.jobs_arq.finish_elsewhere"
runs: list[tuple[str, str, int]] = []


@task(RECORD)
async def record(container: AsyncContainer, payload: dict[str, Any]) -> None:
    session = await container.get(AsyncSession)
    runs.append((payload["n"], container.scope.name, id(session)))


@task(FINISH)
async def finish_elsewhere(container: AsyncContainer, payload: dict[str, Any]) -> None:
    settings = await container.get(Settings)
    redis = await container.get(Redis)
    await redis.zrem(queue_name(settings.broker.redis_prefix), payload["job_id"])


@pytest.fixture
def redis_settings(settings: Settings) -> Settings:
    services.require_redis()
    runs.clear()
    return evolve(
        settings, redis_url=services.REDIS_URL, redis_prefix=services.unique_redis_prefix()
    )


@pytest.fixture
async def queue(redis_settings: Settings) -> AsyncIterator[JobQueue]:
    container = make_async_container(
        *build_providers(redis_settings), context={Settings: redis_settings}
    )
    yield await container.get(JobQueue)
    await container.close()


async def run_worker_burst(settings: Settings) -> arq.worker.Worker:
    worker = build_worker(settings, burst=True, handle_signals=False)
    try:
        await worker.async_run()
    finally:
        await worker.close()
    return worker


def job_id() -> str:
    return str(uuid.uuid4())


async def test_a_queued_task_runs_in_the_worker_in_its_own_request_scope(
    queue: JobQueue, redis_settings: Settings
) -> None:
    assert isinstance(queue, ArqJobQueue)
    assert await queue.enqueue(RECORD, {"n": "1"}, job_id=job_id())
    assert await queue.enqueue(RECORD, {"n": "2"}, job_id=job_id())

    worker = await run_worker_burst(redis_settings)

    assert worker.jobs_complete == 2
    assert worker.jobs_failed == 0
    assert sorted(n for n, _, _ in runs) == ["1", "2"]
    assert {scope for _, scope, _ in runs} == {"REQUEST"}
    assert len({session for _, _, session in runs}) == 2  # one session per job


async def test_the_same_job_id_is_run_once(queue: JobQueue, redis_settings: Settings) -> None:
    same = job_id()
    assert await queue.enqueue(RECORD, {"n": "first"}, job_id=same)
    assert not await queue.enqueue(RECORD, {"n": "second"}, job_id=same)

    await run_worker_burst(redis_settings)

    assert [n for n, _, _ in runs] == ["first"]


async def test_a_job_running_in_another_worker_is_left_to_it(
    queue: JobQueue, redis_settings: Settings
) -> None:
    elsewhere = job_id()
    redis = Redis.from_url(redis_settings.broker.redis_url)
    try:
        await redis.set(f"arq:in-progress:{elsewhere}", b"1", ex=600)
        await queue.enqueue(RECORD, {"n": "elsewhere"}, job_id=elsewhere)
        await queue.enqueue(RECORD, {"n": "here"}, job_id=job_id())
        # Plays the other worker finishing its job, so that the burst run can end.
        await queue.enqueue(FINISH, {"job_id": elsewhere}, job_id=job_id())

        await run_worker_burst(redis_settings)

        assert [n for n, _, _ in runs] == ["here"]
    finally:
        await redis.delete(f"arq:in-progress:{elsewhere}", f"arq:job:{elsewhere}")
        await redis.aclose()


async def test_the_queue_lives_under_the_settings_prefix(
    queue: JobQueue, redis_settings: Settings
) -> None:
    await queue.enqueue(RECORD, {"n": "1"}, job_id=job_id())
    redis = Redis.from_url(redis_settings.broker.redis_url)
    try:
        name = queue_name(redis_settings.broker.redis_prefix)
        assert name.startswith(redis_settings.broker.redis_prefix)
        assert await redis.zcard(name) == 1
        await run_worker_burst(redis_settings)
        assert await redis.zcard(name) == 0
    finally:
        await redis.aclose()


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    """Polls ``check`` up to a generous bound that only ends a broken test."""
    for _ in range(600):
        if await check():
            return
        await asyncio.sleep(0.1)
    pytest.fail("never happened")


async def _listening(redis: Redis, channel: str) -> bool:
    return bool(dict(await redis.pubsub_numsub(channel)).get(channel.encode(), 0))


async def _ran(records: list[Any]) -> bool:
    return bool(records)


async def test_an_idle_worker_starts_a_queued_job_at_once_not_at_its_next_poll(
    queue: JobQueue, redis_settings: Settings
) -> None:
    worker = build_worker(evolve(redis_settings, jobs_poll_delay=3600), handle_signals=False)
    running = asyncio.create_task(worker.async_run())
    redis = Redis.from_url(redis_settings.broker.redis_url)
    channel = arq_wake_channel(queue_name(redis_settings.broker.redis_prefix))
    try:
        # The worker has polled once (found nothing) and listens; its next poll is an hour away.
        await eventually(lambda: _listening(redis, channel))
        assert await queue.enqueue(RECORD, {"n": "woken"}, job_id=job_id())
        await eventually(lambda: _ran(runs))

        assert [n for n, _, _ in runs] == ["woken"]
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await worker.close()
        await redis.aclose()


async def test_a_delayed_job_is_scheduled_after_its_delay(
    queue: JobQueue, redis_settings: Settings
) -> None:
    later = job_id()
    before_ms = time.time() * 1000
    await queue.enqueue(RECORD, {"n": "later"}, job_id=later, delay_seconds=3600)
    redis = Redis.from_url(redis_settings.broker.redis_url)
    try:
        score = await redis.zscore(queue_name(redis_settings.broker.redis_prefix), later)
        assert score is not None
        # arq keeps whole milliseconds.
        assert score >= int(before_ms) + 3600 * 1000
    finally:
        await redis.delete(queue_name(redis_settings.broker.redis_prefix), f"arq:job:{later}")
        await redis.aclose()


async def test_an_unreachable_redis_is_a_service_unavailable_error() -> None:
    redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    queue = ArqJobQueue(arq_client(redis, "mctest:"))
    try:
        with pytest.raises(ServiceUnavailable):
            await queue.enqueue(RECORD, {}, job_id=job_id())
    finally:
        await redis.aclose()
