from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

import attrs

from mocheong_core.pages.model import Page, PageStatus

ChangedBy = Literal["user", "agent", "admin"]
AGENT_NAME_MAX = 40


@attrs.frozen
class PageVersion:
    """One kept version of a page: who made it, what it changed, and the content it left.

    ``version`` is the page's version after the change; ``changed`` names the top-level
    document fields that changed, plus ``slug`` and ``status`` (as ``PageEvents`` does);
    ``document`` is the content as ``PageContent.dump()`` gives it (no slug or status).
    """

    page_id: str
    version: int
    by: ChangedBy
    agent: str | None = attrs.field(
        validator=attrs.validators.optional(attrs.validators.max_len(AGENT_NAME_MAX))
    )
    """Which agent made the change (``context``, ``copy`` …) when ``by`` is ``agent``; a name
    of the code's, at most ``AGENT_NAME_MAX`` characters (a longer one is a bug: ValueError)."""
    changed: tuple[str, ...]
    at: datetime
    document: dict[str, Any]
    reverts_to: int | None = None
    """The version whose content this one restored (``RevertPage``)."""
    undoes: int | None = None
    """The agent's version this one undid (``UndoAgentChange``)."""


class PageRepository(Protocol):
    async def add(self, page: Page) -> None:
        """Stores a new page; raises ``SlugTaken`` when its slug is in use."""

    async def get(self, page_id: str) -> Page | None: ...

    async def by_slug(self, slug: str) -> Page | None: ...

    async def save(self, page: Page, expected_version: int) -> None:
        """Stores ``page`` only if the stored one is still at ``expected_version``.

        Raises ``VersionConflict`` when another writer got there first (checked by the store
        itself, so it holds across processes) and ``SlugTaken`` when the new slug is in use.
        """

    async def delete(self, page_id: str) -> None: ...

    async def list_by_owner(self, owner_id: str, *, limit: int, before: str | None) -> list[Page]:
        """The owner's pages newest first, those with an id below ``before`` when given."""
        ...

    async def list_all(
        self, *, limit: int, before: str | None, status: PageStatus | None
    ) -> list[Page]: ...


class PageHistory(Protocol):
    """The kept versions of each page. Written in the unit of work of the change itself, so a
    version is stored exactly when its change is; a store keeps a bounded number per page and
    drops the oldest on write."""

    async def append(self, version: PageVersion) -> None: ...

    async def newest(self, page_id: str, *, limit: int, before: int | None) -> list[PageVersion]:
        """The page's versions newest first, those below version ``before`` when given."""
        ...

    async def get(self, page_id: str, version: int) -> PageVersion | None: ...


class PageEvents(Protocol):
    """Told after a page change is committed (the page cache and the chat room listen).

    A listener must not raise: the change is already stored, so a failure is the listener's
    to log.
    """

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        """``changed`` names the top-level document fields that changed, plus ``slug``,
        ``status`` and ``plan`` (switched by a payment or a refund, the version unchanged);
        ``previous_slug`` is the old address when the slug changed, else None."""

    async def page_deleted(self, page: Page, by: ChangedBy) -> None: ...


class PageEventListener(PageEvents, Protocol):
    """One listener of ``PageEventsFanout``: its own type so the wiring can collect them all."""


class PageEventsFanout:
    """Tells every listener at once: each may wait on a broker that does not answer (up to
    its own timeout) and none depends on another, so the request that made the change waits
    for the slowest listener, not for the sum of them (quality target R6)."""

    def __init__(self, listeners: Sequence[PageEvents]) -> None:
        self._listeners = tuple(listeners)

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        await asyncio.gather(
            *(
                listener.page_changed(page, changed, by, previous_slug=previous_slug)
                for listener in self._listeners
            )
        )

    async def page_deleted(self, page: Page, by: ChangedBy) -> None:
        await asyncio.gather(*(listener.page_deleted(page, by) for listener in self._listeners))
