"""In-memory twins of the jobs ports: a job repository and the queue of the embedded mode.

``InProcessJobQueue`` runs each job as an asyncio task of the API process, at most
``max_concurrency`` at once; the rest wait their turn in order. Nothing survives the process:
there are no retries, and ``stop`` gives running jobs a grace period before cancelling them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast

import attrs
import structlog

from mocheong_core.errors import ServiceUnavailable
from mocheong_core.jobs.model import Job

Runner = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Runs one task by name with its payload; the entrypoint supplies it."""

log = structlog.get_logger("mocheong.jobs")


class InMemoryJobRepository:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}

    def snapshot(self) -> object:
        return {key: attrs.evolve(job) for key, job in self._jobs.items()}

    def restore(self, state: object) -> None:
        self._jobs = {k: attrs.evolve(j) for k, j in cast(dict[str, Job], state).items()}

    async def add(self, job: Job) -> None:
        self._jobs[job.id] = attrs.evolve(job)

    async def get(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return attrs.evolve(job) if job else None

    async def update(self, job: Job) -> None:
        stored = self._jobs.get(job.id)
        if stored is not None:
            self._jobs[job.id] = attrs.evolve(
                stored,
                status=job.status,
                result=job.result,
                error=job.error,
                updated_at=job.updated_at,
            )

    async def fail_unfinished(self, error: str, at: datetime) -> int:
        unfinished = [job for job in self._jobs.values() if not job.finished]
        for job in unfinished:
            job.fail(error, at)
        return len(unfinished)


class InProcessJobQueue:
    def __init__(self, runner: Runner, *, max_concurrency: int) -> None:
        self._runner = runner
        self._slots = asyncio.Semaphore(max_concurrency)
        self._jobs: dict[str, asyncio.Task[None]] = {}
        self._stopping = False

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        return len(self._jobs)

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        if self._stopping:
            raise ServiceUnavailable("The job queue is shutting down")
        if job_id in self._jobs:
            return False
        self._jobs[job_id] = asyncio.create_task(
            self._run(job_id, task, payload, delay_seconds), name=f"job:{task}:{job_id}"
        )
        return True

    async def _run(
        self, job_id: str, task: str, payload: dict[str, Any], delay_seconds: float
    ) -> None:
        try:
            if delay_seconds > 0:
                await asyncio.sleep(delay_seconds)
            async with self._slots:
                await self._runner(task, payload)
        except Exception as exc:  # one failing job must not take the queue down
            log.error("job_failed", task=task, job_id=job_id, error=repr(exc), exc_info=exc)
        finally:
            self._jobs.pop(job_id, None)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Refuses new jobs, waits up to ``grace_seconds`` for those queued or running, then
        cancels what is left and waits for it to unwind."""
        self._stopping = True
        tasks = list(self._jobs.values())
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace_seconds)
        for task in late:
            task.cancel()
        if late:
            log.warning("jobs_cancelled_at_shutdown", count=len(late))
            await asyncio.wait(late)
