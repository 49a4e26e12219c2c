"""A tracked job: background work a user started and can ask about (``GET /api/jobs/{id}``)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

ERROR_MAX = 500


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


FINISHED = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED})


@attrs.define
class Job:
    """``kind`` is also the name of the task that does the work."""

    id: str
    kind: str
    owner_id: str
    page_id: str | None
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def start(self, now: datetime) -> None:
        # A retried run (the worker died mid-job) finds the job still running: that is fine.
        self.status = JobStatus.RUNNING
        self.updated_at = now

    def succeed(self, result: dict[str, Any] | None, now: datetime) -> None:
        self.status = JobStatus.SUCCEEDED
        self.result = result
        self.updated_at = now

    def fail(self, error: str, now: datetime) -> None:
        self.status = JobStatus.FAILED
        self.error = error[:ERROR_MAX]
        self.updated_at = now
