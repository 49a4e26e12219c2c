"""The admin console's own routes: the service's counts and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, get

from entrypoints.http.api.payments import Cursor, Limit
from entrypoints.http.auth import BEARER, CurrentUser
from mocheong_core.admin.usecases import GetServiceStats, ListAdminActions


class RevenueDay(msgspec.Struct):
    day: str
    amount: int


class StatsOut(msgspec.Struct):
    users: int
    pages_by_status: dict[str, int]
    rsvps: int
    revenue_by_day: list[RevenueDay]
    currency: str = "KRW"


class AuditOut(msgspec.Struct):
    id: str
    actor_id: str
    action: str
    target: str
    at: datetime
    detail: dict[str, Any]


class AuditList(msgspec.Struct):
    items: list[AuditOut]
    next_cursor: str | None


class AdminConsoleController(Controller):
    path = "/api/admin"
    tags = ["admin"]  # noqa: RUF012
    security = BEARER

    @get("/stats")
    @inject
    async def stats(
        self, user: FromDishka[CurrentUser], usecase: FromDishka[GetServiceStats]
    ) -> StatsOut:
        """Users, pages by status, RSVP answers and revenue by day (sandbox orders excluded)."""
        found = await usecase(user)
        return StatsOut(
            users=found.users,
            pages_by_status=found.pages_by_status,
            rsvps=found.rsvps,
            revenue_by_day=[RevenueDay(day, amount) for day, amount in found.revenue_by_day],
        )

    @get("/audit")
    @inject
    async def audit(
        self,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListAdminActions],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AuditList:
        """Every administrative action, newest first: who, what, on which record, when."""
        page = await usecase(user, limit=limit, cursor=cursor)
        return AuditList(
            [AuditOut(e.id, e.actor_id, e.action, e.target, e.at, e.detail) for e in page.items],
            page.next_cursor,
        )
