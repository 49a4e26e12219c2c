"""Page use cases. ``UpdatePage`` is the one way a page's content changes, for the couple's
own edits and the agents' alike, so both are validated, versioned and announced the same way.

Every change (creation, edit, status change, revert) is stored through ``PageChanges``: the
page and its ``PageVersion`` in one unit of work, so the history holds exactly what happened."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, TypeVar

from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import require_admin
from mocheong_core.errors import NotFound
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.uow import UnitOfWork
from mocheong_core.pages.content import CONTENT_FIELDS, PageContent
from mocheong_core.pages.document import PagePolicy
from mocheong_core.pages.edit import read_edit
from mocheong_core.pages.errors import PageLocked, SlugTaken, VersionConflict
from mocheong_core.pages.model import Page, PageStatus, Plan, ensure_publishable
from mocheong_core.pages.plan import ensure_plan_allows
from mocheong_core.pages.ports import (
    ChangedBy,
    PageEvents,
    PageHistory,
    PageRepository,
    PageVersion,
)
from mocheong_core.pages.slugs import Romanizer, SuggestSlug


class HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=HasId)


def page_of(items: list[T], limit: int) -> CursorPage[T]:
    """``items`` was fetched with ``limit + 1``: the extra one only says a next page exists."""
    more = len(items) > limit
    items = items[:limit]
    return CursorPage(items, items[-1].id if more else None)


async def owned_page(pages: PageRepository, actor: User, page_id: str) -> Page:
    """The actor's own page; someone else's is as absent as a missing one."""
    page = await pages.get(page_id)
    if page is None or page.owner_id != actor.id:
        raise NotFound("No such page")
    return page


def check_version(page: Page, *stated: int | None) -> None:
    for version in stated:
        if version is not None and version != page.version:
            raise VersionConflict(
                f"The page is at version {page.version}, not {version}: "
                "read it again and reapply the change"
            )


def changed_fields(old: PageContent, new: PageContent) -> list[str]:
    """The top-level document fields that differ, in the document's order."""
    before, after = old.dump(), new.dump()
    return [field for field in CONTENT_FIELDS if before[field] != after[field]]


class PageChanges:
    """Stores a changed page with its version in the history, commits, then announces it."""

    def __init__(
        self, pages: PageRepository, history: PageHistory, events: PageEvents, uow: UnitOfWork
    ) -> None:
        self._pages, self._history, self._events, self._uow = pages, history, events, uow

    async def store(
        self, page: Page, loaded_version: int, version: PageVersion, previous_slug: str | None
    ) -> Page:
        await self._pages.save(page, loaded_version)
        await self._history.append(version)
        await self._uow.commit()
        changed = list(version.changed)
        await self._events.page_changed(page, changed, version.by, previous_slug=previous_slug)
        return page


def version_of(
    page: Page,
    changed: list[str],
    by: ChangedBy,
    *,
    agent: str | None = None,
    reverts_to: int | None = None,
    undoes: int | None = None,
) -> PageVersion:
    """The page as it now is, as its history keeps it."""
    return PageVersion(
        page_id=page.id,
        version=page.version,
        by=by,
        agent=agent,
        changed=tuple(changed),
        at=page.updated_at,
        document=page.content.dump(),
        reverts_to=reverts_to,
        undoes=undoes,
    )


class ContentChange:
    """What every change of a page's content shares: ``UpdatePage``, a revert and an undo."""

    def __init__(
        self,
        pages: PageRepository,
        history: PageHistory,
        events: PageEvents,
        uow: UnitOfWork,
        clock: Clock,
        policy: PagePolicy,
    ) -> None:
        self._pages, self._history, self._clock, self._policy = pages, history, clock, policy
        self._changes = PageChanges(pages, history, events, uow)

    async def _apply(
        self,
        page: Page,
        content: PageContent,
        by: ChangedBy,
        *,
        agent: str | None,
        slug: str | None = None,
        reverts_to: int | None = None,
        undoes: int | None = None,
    ) -> Page:
        """Stores ``content`` (and ``slug`` when given) as the page's next version; a change
        that changes nothing is not one, and returns the page as it is."""
        changed = changed_fields(page.content, content)
        previous_slug = None
        if slug is not None and slug != page.slug:
            if await self._pages.by_slug(slug) is not None:
                raise SlugTaken
            previous_slug = page.slug
            changed.append("slug")
        if not changed:
            return page
        ensure_plan_allows(page.plan, page.content, content, self._policy)
        if page.is_public:
            ensure_publishable(content)
        loaded_version = page.version
        page.content = content
        page.slug = slug or page.slug
        page.touch(self._clock.now())
        version = version_of(page, changed, by, agent=agent, reverts_to=reverts_to, undoes=undoes)
        return await self._changes.store(page, loaded_version, version, previous_slug)


class CreatePage:
    """Version 1 of the page is the first entry of its history. Without a slug in the
    document, the page gets the suggested one (``SuggestSlug``)."""

    def __init__(
        self,
        pages: PageRepository,
        history: PageHistory,
        uow: UnitOfWork,
        clock: Clock,
        policy: PagePolicy,
        romanizer: Romanizer,
    ) -> None:
        self._pages, self._history, self._uow = pages, history, uow
        self._clock, self._policy = clock, policy
        self._suggest = SuggestSlug(pages, romanizer)

    async def __call__(self, actor: User, document: Mapping[str, Any] | None = None) -> Page:
        edit = read_edit(document or {}, None, self._policy)
        ensure_plan_allows(Plan.FREE, PageContent(), edit.content, self._policy)
        slug = edit.slug or await self._suggest(edit.content)
        if slug is None:
            raise SlugTaken("Could not find a free address; try again")
        if edit.slug and await self._pages.by_slug(slug) is not None:
            raise SlugTaken
        now = self._clock.now()
        page = Page(
            id=new_id(),
            owner_id=actor.id,
            slug=slug,
            status=PageStatus.DRAFT,
            plan=Plan.FREE,
            version=1,
            content=edit.content,
            created_at=now,
            updated_at=now,
        )
        await self._pages.add(page)
        changed = changed_fields(PageContent(), page.content)
        await self._history.append(version_of(page, changed, "user"))
        await self._uow.commit()
        return page


class SuggestPageSlug:
    """The address the page's couple names suggest now (its own slug counts as free), for an
    owner who filled in the names after the page was made."""

    def __init__(self, pages: PageRepository, romanizer: Romanizer) -> None:
        self._pages = pages
        self._suggest = SuggestSlug(pages, romanizer)

    async def __call__(self, actor: User, page_id: str) -> str:
        page = await owned_page(self._pages, actor, page_id)
        slug = await self._suggest(page.content, current=page.slug)
        if slug is None:
            raise SlugTaken("Could not find a free address; try again")
        return slug


class GetPage:
    def __init__(self, pages: PageRepository) -> None:
        self._pages = pages

    async def __call__(self, actor: User, page_id: str) -> Page:
        return await owned_page(self._pages, actor, page_id)


class ListMyPages:
    def __init__(self, pages: PageRepository) -> None:
        self._pages = pages

    async def __call__(self, actor: User, *, limit: int, cursor: str | None) -> CursorPage[Page]:
        items = await self._pages.list_by_owner(actor.id, limit=limit + 1, before=cursor)
        return page_of(items, limit)


class UpdatePage(ContentChange):
    """Merges a partial document into the page (``null`` clears a field), validates the whole
    result, bumps the version, commits, then tells ``PageEvents`` which fields changed.

    ``expected_version`` (or a ``version`` in the patch) must be the page's current version;
    a published page must stay publishable. ``agent`` names the agent that made the change.
    """

    async def __call__(
        self,
        actor: User,
        page_id: str,
        patch: Mapping[str, Any],
        expected_version: int | None = None,
        by: ChangedBy = "user",
        agent: str | None = None,
    ) -> Page:
        page = await owned_page(self._pages, actor, page_id)
        page.ensure_editable()
        edit = read_edit(patch, page, self._policy)
        check_version(page, expected_version, edit.version)
        return await self._apply(page, edit.content, by, agent=agent, slug=edit.slug)


class DeletePage:
    """Removes the page with its guests, answers and guestbook; its slug becomes free."""

    def __init__(self, pages: PageRepository, events: PageEvents, uow: UnitOfWork) -> None:
        self._pages, self._events, self._uow = pages, events, uow

    async def __call__(self, actor: User, page_id: str) -> None:
        page = await owned_page(self._pages, actor, page_id)
        await self._pages.delete(page.id)
        await self._uow.commit()
        await self._events.page_deleted(page, "user")


class _ChangeStatus:
    target: PageStatus

    def __init__(
        self,
        pages: PageRepository,
        history: PageHistory,
        events: PageEvents,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._pages, self._clock = pages, clock
        self._changes = PageChanges(pages, history, events, uow)

    async def __call__(
        self, actor: User, page_id: str, expected_version: int | None = None
    ) -> Page:
        page = await owned_page(self._pages, actor, page_id)
        check_version(page, expected_version)
        return await self._move(page, "user")

    async def _move(self, page: Page, by: ChangedBy) -> Page:
        loaded_version = page.version
        page.move_to(self.target, self._clock.now())
        version = version_of(page, ["status"], by)
        return await self._changes.store(page, loaded_version, version, None)


class PublishPage(_ChangeStatus):
    """Raises ``ValidationFailed`` listing every field guests still need."""

    target = PageStatus.PUBLISHED


class UnpublishPage(_ChangeStatus):
    target = PageStatus.UNPUBLISHED


class ArchivePage(_ChangeStatus):
    """Archived is final: the page goes offline and can no longer be changed."""

    target = PageStatus.ARCHIVED


class AdminUnpublishPage(_ChangeStatus):
    """Moderation: an administrator takes any published page offline."""

    target = PageStatus.UNPUBLISHED

    async def __call__(
        self, actor: User, page_id: str, expected_version: int | None = None
    ) -> Page:
        require_admin(actor)
        page = await self._pages.get(page_id)
        if page is None:
            raise NotFound("No such page")
        check_version(page, expected_version)
        return await self._move(page, "admin")


class AdminListPages:
    def __init__(self, pages: PageRepository) -> None:
        self._pages = pages

    async def __call__(
        self, actor: User, *, limit: int, cursor: str | None, status: PageStatus | None = None
    ) -> CursorPage[Page]:
        require_admin(actor)
        items = await self._pages.list_all(limit=limit + 1, before=cursor, status=status)
        return page_of(items, limit)


class GetPublishedPage:
    """What guests may see: a published page by its slug; anything else is not found."""

    def __init__(self, pages: PageRepository) -> None:
        self._pages = pages

    async def __call__(self, slug: str) -> Page:
        page = await self._pages.by_slug(slug)
        if page is None or not page.is_public:
            raise NotFound("No such page")
        return page


class GetOpenPage:
    """A published page its guests may still open: from the moment a page the couple chose
    to lock after the wedding locks, ``PageLocked`` (a ``NotFound``, carrying the page)."""

    def __init__(self, pages: PageRepository, clock: Clock) -> None:
        self._published = GetPublishedPage(pages)
        self._clock = clock

    async def __call__(self, slug: str) -> Page:
        page = await self._published(slug)
        locks_at = page.content.after_wedding.locks_at(page.content.ceremony.starts_at)
        if locks_at is not None and self._clock.now() >= locks_at:
            raise PageLocked(page)
        return page
