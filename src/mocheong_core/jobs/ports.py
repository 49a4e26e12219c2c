"""Background work: a use case asks for a task by name; a queue adapter runs it somewhere.

Task names and their payloads are plain data so any adapter (arq on Redis, or the in-process
runner of the embedded mode) can carry them. A payload holds ids, never whole objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from mocheong_core.jobs.model import Job


class JobQueue(Protocol):
    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        """Queues ``task``; the same ``job_id`` while one is queued or running starts nothing.

        Returns False when a job with that id already exists. Raises ``ServiceUnavailable``
        when the queue cannot take it.
        """
        ...


class JobEvents(Protocol):
    """Told of every tracked job that has finished, once it is stored. Jobs know nothing of
    who listens; the chat context announces a page's jobs in the page's room."""

    async def job_finished(self, job: Job) -> None: ...


class JobRepository(Protocol):
    async def add(self, job: Job) -> None: ...

    async def get(self, job_id: str) -> Job | None: ...

    async def update(self, job: Job) -> None:
        """Stores the status, result, error and ``updated_at`` of a job."""
        ...

    async def fail_unfinished(self, error: str, at: datetime) -> int:
        """Marks every queued or running job failed; returns how many."""
        ...
