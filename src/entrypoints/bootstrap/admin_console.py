"""dishka wiring of the admin console's own use cases: the audit log and the service counts."""

from __future__ import annotations

from dishka import Provider, Scope, provide, provide_all

from adapters.sqla.repos.stats import SqlaStatsReader
from mocheong_core.admin.usecases import (
    GetServiceStats,
    ListAdminActions,
    RecordAdminAction,
    StatsReader,
)


class AdminConsoleProvider(Provider):
    stats = provide(SqlaStatsReader, scope=Scope.REQUEST, provides=StatsReader)
    usecases = provide_all(
        RecordAdminAction, ListAdminActions, GetServiceStats, scope=Scope.REQUEST
    )
