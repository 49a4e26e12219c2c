"""The audit log of administrative actions: who did what to which record, and when."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs


@attrs.frozen
class AuditEntry:
    id: str
    actor_id: str
    action: str
    target: str
    at: datetime
    detail: dict[str, Any] = attrs.field(factory=dict)


class AuditLog(Protocol):
    async def append(self, entry: AuditEntry) -> None: ...

    async def newest(self, *, limit: int, before: str | None) -> Sequence[AuditEntry]: ...
