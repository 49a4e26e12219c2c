"""In-memory twins of the page repository, its history and page events, for unit tests and
importing teams.

They hand out copies, as a database would: a changed ``Page`` changes nothing until saved.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import cast

import attrs

from mocheong_core.pages.errors import SlugTaken, VersionConflict
from mocheong_core.pages.model import Page, PageStatus
from mocheong_core.pages.ports import ChangedBy, PageVersion


class InMemoryPageRepository:
    def __init__(self) -> None:
        self._pages: dict[str, Page] = {}

    def snapshot(self) -> object:
        return {key: attrs.evolve(page) for key, page in self._pages.items()}

    def restore(self, state: object) -> None:
        self._pages = {k: attrs.evolve(p) for k, p in cast(dict[str, Page], state).items()}

    def _slug_used(self, slug: str, by_other_than: str) -> bool:
        return any(p.slug == slug and p.id != by_other_than for p in self._pages.values())

    async def add(self, page: Page) -> None:
        if self._slug_used(page.slug, page.id):
            raise SlugTaken
        self._pages[page.id] = attrs.evolve(page)

    async def get(self, page_id: str) -> Page | None:
        page = self._pages.get(page_id)
        return attrs.evolve(page) if page else None

    async def by_slug(self, slug: str) -> Page | None:
        for page in self._pages.values():
            if page.slug == slug:
                return attrs.evolve(page)
        return None

    async def save(self, page: Page, expected_version: int) -> None:
        stored = self._pages.get(page.id)
        if stored is None or stored.version != expected_version:
            raise VersionConflict
        if self._slug_used(page.slug, page.id):
            raise SlugTaken
        # The owner and creation time never change, as in the SQL twin.
        self._pages[page.id] = attrs.evolve(
            page, owner_id=stored.owner_id, created_at=stored.created_at
        )

    async def delete(self, page_id: str) -> None:
        self._pages.pop(page_id, None)

    async def list_by_owner(self, owner_id: str, *, limit: int, before: str | None) -> list[Page]:
        return self._newest(limit, before, lambda p: p.owner_id == owner_id)

    async def list_all(
        self, *, limit: int, before: str | None, status: PageStatus | None
    ) -> list[Page]:
        return self._newest(limit, before, lambda p: status is None or p.status is status)

    def _newest(self, limit: int, before: str | None, keep: Callable[[Page], bool]) -> list[Page]:
        ids = sorted(
            (i for i, p in self._pages.items() if keep(p) and (before is None or i < before)),
            reverse=True,
        )
        return [attrs.evolve(self._pages[i]) for i in ids[:limit]]


@attrs.frozen
class PageEvent:
    page_id: str
    version: int
    changed: tuple[str, ...]
    by: ChangedBy
    previous_slug: str | None = None
    deleted: bool = False


class InMemoryPageEvents:
    """Remembers what it was told, for tests to read."""

    def __init__(self) -> None:
        self.events: list[PageEvent] = []

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        self.events.append(PageEvent(page.id, page.version, tuple(changed), by, previous_slug))

    async def page_deleted(self, page: Page, by: ChangedBy) -> None:
        self.events.append(PageEvent(page.id, page.version, (), by, deleted=True))


class InMemoryPageHistory:
    """Keeps at most ``keep`` versions per page, dropping the oldest on write, as the SQL one."""

    def __init__(self, keep: int = 200) -> None:
        self._keep = keep
        self._versions: dict[str, dict[int, PageVersion]] = {}

    def snapshot(self) -> object:
        return {page_id: dict(versions) for page_id, versions in self._versions.items()}

    def restore(self, state: object) -> None:
        kept = cast(dict[str, dict[int, PageVersion]], state)
        self._versions = {page_id: dict(versions) for page_id, versions in kept.items()}

    async def append(self, version: PageVersion) -> None:
        versions = self._versions.setdefault(version.page_id, {})
        versions[version.version] = _copy(version)
        for number in [n for n in versions if n <= version.version - self._keep]:
            del versions[number]

    async def newest(self, page_id: str, *, limit: int, before: int | None) -> list[PageVersion]:
        versions = self._versions.get(page_id, {})
        numbers = sorted((n for n in versions if before is None or n < before), reverse=True)
        return [_copy(versions[n]) for n in numbers[:limit]]

    async def get(self, page_id: str, version: int) -> PageVersion | None:
        found = self._versions.get(page_id, {}).get(version)
        return _copy(found) if found else None


def _copy(version: PageVersion) -> PageVersion:
    # The document is a plain dict: a caller changing it must not change the stored one.
    return attrs.evolve(version, document=copy.deepcopy(version.document))
