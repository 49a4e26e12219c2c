"""Tracked jobs: start one, follow it from the worker, let its owner read it."""

from __future__ import annotations

from typing import Any

from mocheong_core.accounts.model import User
from mocheong_core.errors import NotFound, ServiceUnavailable
from mocheong_core.jobs.model import Job, JobStatus
from mocheong_core.jobs.ports import JobEvents, JobQueue, JobRepository
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.uow import UnitOfWork

JOB_ID_KEY = "job_id"
"""The payload key that carries a tracked job's id to its task."""


class StartJob:
    """Stores a queued job, then queues its task with the job id in the payload.

    The row is committed before the task is queued so the worker always finds it.
    """

    def __init__(self, jobs: JobRepository, queue: JobQueue, uow: UnitOfWork, clock: Clock) -> None:
        self._jobs, self._queue, self._uow, self._clock = jobs, queue, uow, clock

    async def __call__(
        self, owner_id: str, kind: str, payload: dict[str, Any], *, page_id: str | None = None
    ) -> Job:
        now = self._clock.now()
        job = Job(
            id=new_id(),
            kind=kind,
            owner_id=owner_id,
            page_id=page_id,
            status=JobStatus.QUEUED,
            created_at=now,
            updated_at=now,
        )
        await self._jobs.add(job)
        await self._uow.commit()
        try:
            await self._queue.enqueue(kind, {**payload, JOB_ID_KEY: job.id}, job_id=job.id)
        except ServiceUnavailable:
            # Nothing will ever run it: say so instead of leaving it queued forever.
            job.fail("The job could not be queued", self._clock.now())
            await self._jobs.update(job)
            await self._uow.commit()
            raise
        return job


class GetJob:
    def __init__(self, jobs: JobRepository) -> None:
        self._jobs = jobs

    async def __call__(self, actor: User, job_id: str) -> Job:
        job = await self._jobs.get(job_id)
        if job is None or job.owner_id != actor.id:
            raise NotFound("No such job")
        return job


class JobProgress:
    """What the worker records about a tracked job while it runs it. A finished job of a page
    is also told to ``JobEvents`` (the chat announces it in the page's room) so the couple need
    not poll."""

    def __init__(
        self, jobs: JobRepository, uow: UnitOfWork, clock: Clock, events: JobEvents
    ) -> None:
        self._jobs, self._uow, self._clock, self._events = jobs, uow, clock, events

    async def running(self, job_id: str) -> bool:
        """Marks the job running; False when it is unknown or already finished (run nothing)."""
        job = await self._jobs.get(job_id)
        if job is None or job.finished:
            return False
        job.start(self._clock.now())
        await self._jobs.update(job)
        await self._uow.commit()
        return True

    async def succeeded(self, job_id: str, result: dict[str, Any] | None) -> None:
        job = await self._jobs.get(job_id)
        if job is not None:
            job.succeed(result, self._clock.now())
            await self._finish(job)

    async def failed(self, job_id: str, error: str) -> None:
        # Whatever the task wrote without committing is dropped, not saved with the failure.
        await self._uow.rollback()
        job = await self._jobs.get(job_id)
        if job is not None:
            job.fail(error, self._clock.now())
            await self._finish(job)

    async def _finish(self, job: Job) -> None:
        await self._jobs.update(job)
        await self._uow.commit()
        await self._events.job_finished(job)


class AbandonUnfinishedJobs:
    """At start-up of the embedded mode, where jobs live only in the API process: what was
    queued or running before a restart will never finish, so it is marked failed."""

    def __init__(self, jobs: JobRepository, uow: UnitOfWork, clock: Clock) -> None:
        self._jobs, self._uow, self._clock = jobs, uow, clock

    async def __call__(self) -> int:
        count = await self._jobs.fail_unfinished("Interrupted by a restart", self._clock.now())
        await self._uow.commit()
        return count
