from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, get
from litestar.params import FromPath

from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.closed_sets import JobStatusText
from mocheong_core.jobs.model import Job
from mocheong_core.jobs.usecases import GetJob


class JobOut(msgspec.Struct, omit_defaults=True):
    """``result`` appears once the job succeeded, ``error`` once it failed."""

    id: str
    kind: str
    status: JobStatusText
    created_at: datetime
    updated_at: datetime
    result: dict[str, Any] | None = None
    error: str | None = None

    @classmethod
    def of(cls, job: Job) -> JobOut:
        return cls(
            id=job.id,
            kind=job.kind,
            status=job.status.value,
            created_at=job.created_at,
            updated_at=job.updated_at,
            result=job.result,
            error=job.error,
        )


class JobsController(Controller):
    path = "/api/jobs"
    tags = ["jobs"]  # noqa: RUF012
    security = BEARER

    @get("/{job_id:str}")
    @inject
    async def get_job(
        self,
        job_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[GetJob],
    ) -> JobOut:
        return JobOut.of(await usecase(user, job_id))
