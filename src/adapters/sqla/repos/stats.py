"""The admin console's counts, read with one aggregate query per table."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.repos.payments import SqlaOrderRepository
from adapters.sqla.tables.accounts import users
from adapters.sqla.tables.pages import pages, rsvps
from mocheong_core.admin.usecases import ServiceStats


class SqlaStatsReader:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def read(self) -> ServiceStats:
        user_count = await self._session.scalar(sa.select(sa.func.count()).select_from(users))
        rsvp_count = await self._session.scalar(sa.select(sa.func.count()).select_from(rsvps))
        by_status = await self._session.execute(
            sa.select(pages.c.status, sa.func.count()).group_by(pages.c.status)
        )
        return ServiceStats(
            users=int(user_count or 0),
            pages_by_status={status: int(count) for status, count in by_status},
            rsvps=int(rsvp_count or 0),
            revenue_by_day=await SqlaOrderRepository(self._session).revenue_by_day(),
        )
