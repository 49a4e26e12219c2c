"""The guestbook of a published page: anyone writes, and deletes with the password they set;
the page's owner may delete any entry."""

from __future__ import annotations

import unicodedata

from mocheong_core.accounts.model import User
from mocheong_core.accounts.ports import PasswordHasher
from mocheong_core.errors import FieldError, NotFound, ValidationFailed
from mocheong_core.guests.errors import WrongPassword
from mocheong_core.guests.model import (
    GUESTBOOK_MESSAGE_MAX,
    GUESTBOOK_NAME_MAX,
    GUESTBOOK_PASSWORD_MAX,
    GUESTBOOK_PASSWORD_MIN,
    GuestbookEntry,
)
from mocheong_core.guests.ports import GuestbookEvents, GuestbookRepository
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.uow import UnitOfWork
from mocheong_core.pages.model import Page
from mocheong_core.pages.ports import PageRepository
from mocheong_core.pages.reader import DocumentReader
from mocheong_core.pages.usecases import GetPublishedPage, owned_page, page_of


def normalized_password(password: str) -> str:
    # The same Korean password typed on another phone may arrive decomposed.
    return unicodedata.normalize("NFC", password)


class PostGuestbookEntry:
    def __init__(
        self,
        pages: PageRepository,
        entries: GuestbookRepository,
        hasher: PasswordHasher,
        uow: UnitOfWork,
        clock: Clock,
        events: GuestbookEvents,
    ) -> None:
        self._published = GetPublishedPage(pages)
        self._entries, self._hasher, self._uow, self._clock = entries, hasher, uow, clock
        self._events = events

    async def __call__(self, slug: str, name: str, message: str, password: str) -> GuestbookEntry:
        page = await self._published(slug)
        r = DocumentReader()
        clean_name = r.required_text(name, "name", max_len=GUESTBOOK_NAME_MAX)
        clean_message = r.required_text(
            message, "message", max_len=GUESTBOOK_MESSAGE_MAX, multiline=True
        )
        password = normalized_password(password)
        r.validator.check(
            GUESTBOOK_PASSWORD_MIN <= len(password) <= GUESTBOOK_PASSWORD_MAX,
            "password",
            f"must be {GUESTBOOK_PASSWORD_MIN} to {GUESTBOOK_PASSWORD_MAX} characters",
        )
        r.validator.raise_if_any()
        assert clean_name is not None
        assert clean_message is not None
        entry = GuestbookEntry(
            id=new_id(),
            page_id=page.id,
            name=clean_name,
            message=clean_message,
            password_hash=self._hasher.hash(password),
            created_at=self._clock.now(),
        )
        await self._entries.add(entry)
        await self._uow.commit()
        await self._events.guestbook_changed(page)
        return entry


class ListGuestbook:
    def __init__(self, pages: PageRepository, entries: GuestbookRepository) -> None:
        self._published = GetPublishedPage(pages)
        self._entries = entries

    async def __call__(
        self, slug: str, *, limit: int, cursor: str | None
    ) -> CursorPage[GuestbookEntry]:
        page = await self._published(slug)
        return page_of(await self._entries.list(page.id, limit=limit + 1, before=cursor), limit)


class ListPageGuestbook:
    """The owner's view of their page's guestbook, whatever the page's state (a page locked
    after the wedding shows its guests nothing, its couple everything)."""

    def __init__(self, pages: PageRepository, entries: GuestbookRepository) -> None:
        self._pages, self._entries = pages, entries

    async def __call__(
        self, actor: User, page_id: str, *, limit: int, cursor: str | None
    ) -> CursorPage[GuestbookEntry]:
        page = await owned_page(self._pages, actor, page_id)
        return page_of(await self._entries.list(page.id, limit=limit + 1, before=cursor), limit)


class DeleteGuestbookEntry:
    """The owner needs no password; anyone else needs the entry's (wrong → ``WrongPassword``)."""

    def __init__(
        self,
        pages: PageRepository,
        entries: GuestbookRepository,
        hasher: PasswordHasher,
        uow: UnitOfWork,
        events: GuestbookEvents,
    ) -> None:
        self._pages, self._entries, self._hasher, self._uow = pages, entries, hasher, uow
        self._events = events

    async def __call__(
        self, slug: str, entry_id: str, *, password: str | None, actor: User | None
    ) -> None:
        page = await self._pages.by_slug(slug)
        is_owner = page is not None and actor is not None and page.owner_id == actor.id
        # The owner may tidy the guestbook of an unpublished page; guests see only live ones.
        if page is None or not (page.is_public or is_owner):
            raise NotFound("No such page")
        entry = await self._entry(page, entry_id)
        if not is_owner:
            if password is None:
                raise ValidationFailed([FieldError("password", "is required")])
            if not self._hasher.verify(entry.password_hash, normalized_password(password)):
                raise WrongPassword
        await self._entries.delete(entry.id)
        await self._uow.commit()
        await self._events.guestbook_changed(page)

    async def _entry(self, page: Page, entry_id: str) -> GuestbookEntry:
        entry = await self._entries.get(entry_id)
        if entry is None or entry.page_id != page.id:
            raise NotFound("No such guestbook entry")
        return entry
