from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.tables.jobs import jobs
from mocheong_core.jobs.model import Job, JobStatus

UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def _job(row: sa.Row[Any]) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        owner_id=row.owner_id,
        page_id=row.page_id,
        status=JobStatus(row.status),
        created_at=row.created_at,
        updated_at=row.updated_at,
        result=row.result,
        error=row.error,
    )


class SqlaJobRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, job: Job) -> None:
        await self._session.execute(
            jobs.insert().values(
                id=job.id,
                kind=job.kind,
                owner_id=job.owner_id,
                page_id=job.page_id,
                status=job.status.value,
                result=job.result,
                error=job.error,
                created_at=job.created_at,
                updated_at=job.updated_at,
            )
        )

    async def get(self, job_id: str) -> Job | None:
        row = (await self._session.execute(jobs.select().where(jobs.c.id == job_id))).first()
        return _job(row) if row else None

    async def update(self, job: Job) -> None:
        await self._session.execute(
            jobs.update()
            .where(jobs.c.id == job.id)
            .values(
                status=job.status.value,
                result=job.result,
                error=job.error,
                updated_at=job.updated_at,
            )
        )

    async def fail_unfinished(self, error: str, at: datetime) -> int:
        result = await self._session.execute(
            jobs.update()
            .where(jobs.c.status.in_(UNFINISHED))
            .values(status=JobStatus.FAILED.value, error=error, updated_at=at)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
