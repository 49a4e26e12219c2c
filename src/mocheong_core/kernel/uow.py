"""The unit of work: one transaction across the repositories of a request or job."""

from __future__ import annotations

from typing import Protocol


class UnitOfWork(Protocol):
    """One transaction across the repositories of a request or job."""

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
