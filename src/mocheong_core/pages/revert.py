"""A page's history: reading its versions, reverting to one, and undoing an agent's change.

A revert is a change like any other: a new version (the old ones stay), validated as
``UpdatePage`` validates, announced through ``PageEvents``. Slug and status are not part of a
version's content, so a revert never moves the page's address or takes it on or off line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mocheong_core.accounts.model import User
from mocheong_core.errors import FieldError, NotFound, ValidationFailed
from mocheong_core.pages.content import CONTENT_FIELDS, PageContent
from mocheong_core.pages.document import PagePolicy, read_content
from mocheong_core.pages.errors import EditedSinceAgentChange, NothingToUndo
from mocheong_core.pages.model import Page
from mocheong_core.pages.ports import ChangedBy, PageHistory, PageRepository, PageVersion
from mocheong_core.pages.reader import DocumentReader
from mocheong_core.pages.usecases import ContentChange, check_version, owned_page
from mocheong_core.shared import CursorPage

# How many versions one read of the history takes while looking for an agent's change.
UNDO_BATCH = 50


def history_cursor(cursor: str | None) -> int | None:
    """The version a history cursor names (the last version of the page before)."""
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 10:
        raise ValidationFailed([FieldError("cursor", "must be a cursor this list returned")])
    return int(cursor)


class ListPageHistory:
    """The owner's page's versions, newest first; ``next_cursor`` is set when older ones remain.

    A page created before its history was kept has none for its older versions: the list
    starts where the history does.
    """

    def __init__(self, pages: PageRepository, history: PageHistory) -> None:
        self._pages, self._history = pages, history

    async def __call__(
        self, actor: User, page_id: str, limit: int, cursor: str | None
    ) -> CursorPage[PageVersion]:
        before = history_cursor(cursor)
        page = await owned_page(self._pages, actor, page_id)
        items = await self._history.newest(page.id, limit=limit + 1, before=before)
        more = len(items) > limit
        items = items[:limit]
        return CursorPage(items, str(items[-1].version) if more else None)


class GetPageVersion:
    """One kept version of the owner's page, with its content."""

    def __init__(self, pages: PageRepository, history: PageHistory) -> None:
        self._pages, self._history = pages, history

    async def __call__(self, actor: User, page_id: str, version: int) -> PageVersion:
        page = await owned_page(self._pages, actor, page_id)
        return await kept_version(self._history, page, version)


async def kept_version(history: PageHistory, page: Page, version: int) -> PageVersion:
    found = await history.get(page.id, version)
    if found is None:
        raise NotFound(f"Version {version} of this page is not kept")
    return found


def checked_content(document: Mapping[str, Any], policy: PagePolicy) -> PageContent:
    """``document`` (a whole one, as versions keep) read with today's limits, as ``UpdatePage``
    reads a change."""
    reader = DocumentReader()
    content = read_content(document, policy, reader, written_whole=True)
    reader.validator.raise_if_any()
    return content


class RevertPage(ContentChange):
    """A new version whose content is that of ``version``; reverting to the content the page
    already has changes nothing and returns the page."""

    async def __call__(
        self,
        actor: User,
        page_id: str,
        version: int,
        *,
        expected_version: int | None = None,
        by: ChangedBy = "user",
        agent: str | None = None,
    ) -> Page:
        page = await owned_page(self._pages, actor, page_id)
        page.ensure_editable()
        check_version(page, expected_version)
        target = await kept_version(self._history, page, version)
        content = checked_content(target.document, self._policy)
        return await self._apply(page, content, by, agent=agent, reverts_to=version)


class UndoAgentChange(ContentChange):
    """Puts back what the newest agent change replaced, in the fields it changed.

    Later changes to other fields stay. An undo is itself an agent change that names the
    version it undid, so undoing again reaches the agent change before. Refused with
    ``NothingToUndo`` when no agent change is kept (or the version before it is not), and with
    ``EditedSinceAgentChange`` when the couple changed one of its fields afterwards: their
    edit wins and nothing changes. The slug is not part of the content and is not undone.
    """

    async def __call__(self, actor: User, page_id: str, *, agent: str | None = None) -> Page:
        page = await owned_page(self._pages, actor, page_id)
        page.ensure_editable()
        target, later = await self._newest_agent_change(page.id)
        fields = [field for field in target.changed if field in CONTENT_FIELDS]
        if not fields:
            raise NothingToUndo("The assistant's last change was to the address, which stays")
        edited = [f for f in fields if any(v.by == "user" and f in v.changed for v in later)]
        if edited:
            raise EditedSinceAgentChange(edited)
        before = await self._history.get(page.id, target.version - 1)
        if before is None:
            raise NothingToUndo("The page as it was before the assistant's change is not kept")
        document = page.content.dump()
        document.update({field: before.document[field] for field in fields})
        content = checked_content(document, self._policy)
        return await self._apply(page, content, "agent", agent=agent, undoes=target.version)

    async def _newest_agent_change(self, page_id: str) -> tuple[PageVersion, list[PageVersion]]:
        """The newest agent change not yet undone, and the versions after it."""
        undone: set[int] = set()
        later: list[PageVersion] = []
        before: int | None = None
        while batch := await self._history.newest(page_id, limit=UNDO_BATCH, before=before):
            for version in batch:
                if version.undoes is not None:
                    undone.add(version.undoes)
                elif version.by == "agent" and version.version not in undone:
                    return version, later
                later.append(version)
            before = batch[-1].version
        raise NothingToUndo
