"""The registry of background tasks, shared by the arq worker and the in-process queue.

A task is ``async def f(container, payload) -> None``: ``container`` is a dishka REQUEST scope
opened for this one job (its own database session), ``payload`` the plain data it was queued
with. Register one with ``@task("context.action")`` in a module of ``worker/tasks/``, imported
by name in ``worker/tasks/__init__.py``.

A tracked task (``@tracked_task``) belongs to a ``Job`` row started by ``StartJob``: it is
marked running, then succeeded with the dict the task returns or failed with the error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from dishka import AsyncContainer

from entrypoints.runtime.tracing import job_span
from mocheong_core.errors import DomainError
from mocheong_core.jobs.usecases import JOB_ID_KEY, JobProgress

Task = Callable[[AsyncContainer, dict[str, Any]], Awaitable[None]]
TrackedTask = Callable[[AsyncContainer, dict[str, Any]], Awaitable[dict[str, Any] | None]]

TASKS: dict[str, Task] = {}

GENERIC_ERROR = "The job failed unexpectedly"
log = structlog.get_logger("mocheong.jobs")


def task(name: str) -> Callable[[Task], Task]:
    def register(func: Task) -> Task:
        if name in TASKS and TASKS[name] is not func:
            raise ValueError(f"task {name!r} is registered twice")
        TASKS[name] = func
        return func

    return register


def tracked_task(name: str) -> Callable[[TrackedTask], TrackedTask]:
    def register(func: TrackedTask) -> TrackedTask:
        async def run(container: AsyncContainer, payload: dict[str, Any]) -> None:
            job_id = str(payload[JOB_ID_KEY])
            progress = await container.get(JobProgress)
            if not await progress.running(job_id):
                log.info("job_skipped", task=name, job_id=job_id, reason="unknown or finished")
                return
            try:
                result = await func(container, payload)
            except DomainError as exc:
                await progress.failed(job_id, exc.detail)
                return
            except Exception:
                # The details stay in the log; the owner only learns that it failed.
                await progress.failed(job_id, GENERIC_ERROR)
                raise
            await progress.succeeded(job_id, result)

        task(name)(run)
        return func

    return register


async def run_task(container: AsyncContainer, name: str, payload: dict[str, Any]) -> None:
    """Runs one registered task in a REQUEST scope of the APP ``container``."""
    func = TASKS.get(name)
    if func is None:
        raise LookupError(f"no task named {name!r} is registered")
    with job_span(name, payload) as job_payload:
        async with container() as request:
            await func(request, job_payload)
