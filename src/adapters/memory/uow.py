"""An in-memory unit of work with real transaction semantics for the in-memory repositories.

A commit makes every registered store's current state the durable one; a rollback puts the
last committed state back. That mirrors the SQL session (use cases commit explicitly, whatever
they did not commit is lost when the request ends), so tests can tell a missing commit apart.
"""

from __future__ import annotations

from typing import Protocol


class Transactional(Protocol):
    """A store the in-memory unit of work can save and restore."""

    def snapshot(self) -> object: ...

    def restore(self, state: object) -> None: ...


class InMemoryUnitOfWork:
    def __init__(self, *stores: Transactional) -> None:
        self._stores = stores
        self._committed = [store.snapshot() for store in stores]
        self.commits = 0

    async def commit(self) -> None:
        self._committed = [store.snapshot() for store in self._stores]
        self.commits += 1

    async def rollback(self) -> None:
        for store, state in zip(self._stores, self._committed, strict=True):
            store.restore(state)
