"""Auditing administrative actions, and the service's counts for the admin console."""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import require_admin
from mocheong_core.kernel.audit import AuditEntry, AuditLog
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage, page_by_id
from mocheong_core.kernel.uow import UnitOfWork


@attrs.frozen
class ServiceStats:
    users: int
    pages_by_status: dict[str, int]
    rsvps: int
    revenue_by_day: list[tuple[str, int]]
    """(UTC day, won paid minus refunded) of real (not sandbox) payments."""


class StatsReader(Protocol):
    async def read(self) -> ServiceStats: ...


class RecordAdminAction:
    """Appends who did what to which record, when; called after the action succeeded."""

    def __init__(self, audit: AuditLog, uow: UnitOfWork, clock: Clock) -> None:
        self._audit, self._uow, self._clock = audit, uow, clock

    async def __call__(self, actor: User, action: str, target: str, detail: dict[str, Any]) -> None:
        require_admin(actor)
        await self._audit.append(
            AuditEntry(new_id(), actor.id, action, target, self._clock.now(), detail)
        )
        await self._uow.commit()


class ListAdminActions:
    def __init__(self, audit: AuditLog) -> None:
        self._audit = audit

    async def __call__(
        self, actor: User, *, limit: int, cursor: str | None
    ) -> CursorPage[AuditEntry]:
        require_admin(actor)
        return page_by_id(list(await self._audit.newest(limit=limit + 1, before=cursor)), limit)


class GetServiceStats:
    def __init__(self, stats: StatsReader) -> None:
        self._stats = stats

    async def __call__(self, actor: User) -> ServiceStats:
        require_admin(actor)
        return await self._stats.read()
