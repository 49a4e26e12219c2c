"""dishka wiring of the jobs context: the tracked-job use cases and the queue the settings pick
(arq on Redis, or the in-process queue of the embedded mode)."""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer, Provider, Scope, alias, provide, provide_all
from redis.asyncio import Redis

from adapters.arq.queue import (
    ArqJobQueue,
    arq_client,
    deserialize_job,
    queue_name,
    serialize_job,
    wake_channel,
)
from adapters.memory.jobs import InProcessJobQueue
from adapters.redis.scripts import RedisScripts
from adapters.sqla.repos.jobs import SqlaJobRepository
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.tasks import run_task
from mocheong_core.jobs.ports import JobQueue, JobRepository
from mocheong_core.jobs.usecases import AbandonUnfinishedJobs, GetJob, JobProgress, StartJob


class JobsProvider(Provider):
    jobs = provide(SqlaJobRepository, scope=Scope.REQUEST, provides=JobRepository)
    usecases = provide_all(
        StartJob, GetJob, JobProgress, AbandonUnfinishedJobs, scope=Scope.REQUEST
    )


class ArqJobsProvider(Provider):
    @provide(scope=Scope.APP)
    def queue(self, settings: Settings, redis: Redis, scripts: RedisScripts) -> JobQueue:
        return ArqJobQueue(arq_client(redis, settings.broker.redis_prefix), scripts)


class InProcessJobsProvider(Provider):
    @provide(scope=Scope.APP)
    def in_process_queue(self, settings: Settings, container: AsyncContainer) -> InProcessJobQueue:
        async def runner(name: str, payload: dict[str, Any]) -> None:
            await run_task(container, name, payload)

        return InProcessJobQueue(runner, max_concurrency=settings.jobs.max_concurrency)

    queue = alias(source=InProcessJobQueue, provides=JobQueue)


def arq_queue(settings: Settings) -> dict[str, Any]:
    """The arq worker options that read the queue ``ArqJobQueue`` writes: its name and codec."""
    return {
        "queue_name": queue_name(settings.broker.redis_prefix),
        "job_serializer": serialize_job,
        "job_deserializer": deserialize_job,
    }


def arq_wake_channel(queue: str) -> str:
    """The channel the queue's enqueue announces a job due at once on (``worker/wakeup.py``)."""
    return wake_channel(queue)


def jobs_providers(settings: Settings) -> list[Provider]:
    if settings.broker.uses_nats:
        return [JobsProvider()]  # the queue comes from the NATS wiring
    return [
        JobsProvider(),
        ArqJobsProvider() if settings.broker.uses_redis else InProcessJobsProvider(),
    ]


def add_job_hooks(hooks: LifecycleHooks, settings: Settings, container: AsyncContainer) -> None:
    """In the embedded mode the API process runs the jobs, so it also ends them: unfinished
    jobs of a previous run are marked failed at start, running ones are drained at stop.

    The hooks resolve what they need when they run: a ``container.get`` inside the factory,
    resolved from the APP container as the lifespan does, would wait forever on the lock
    that container holds for the factory's own resolution."""
    if settings.broker.distributed:
        return

    async def abandon_unfinished_jobs() -> None:
        async with container() as request:
            await (await request.get(AbandonUnfinishedJobs))()

    async def stop_jobs() -> None:
        await (await container.get(InProcessJobQueue)).stop(settings.jobs.shutdown_grace)

    hooks.on_start(abandon_unfinished_jobs)
    hooks.on_stop(stop_jobs)
