"""The couple's guest list: each guest gets a personal link whose opening is recorded."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from mocheong_core.accounts.model import User
from mocheong_core.errors import NotFound
from mocheong_core.guests.errors import GuestListFull
from mocheong_core.guests.model import (
    GUEST_GROUP_MAX,
    GUEST_NAME_MAX,
    Guest,
    GuestsPolicy,
    Side,
)
from mocheong_core.guests.ports import GuestRepository
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.uow import UnitOfWork
from mocheong_core.pages.ports import PageRepository
from mocheong_core.pages.reader import DocumentReader
from mocheong_core.pages.usecases import owned_page, page_of

GUEST_FIELDS = ("name", "side", "group", "phone")


def read_guest(data: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The clean values of the fields given (all of them unless ``partial``)."""
    r = DocumentReader()
    doc = r.fields(data, "", GUEST_FIELDS) or {}
    clean: dict[str, Any] = {}
    if not partial or "name" in doc:
        clean["name"] = r.required_text(doc.get("name"), "name", max_len=GUEST_NAME_MAX)
    if not partial or "side" in doc:
        clean["side"] = r.choice(doc.get("side"), "side", Side)
        if doc.get("side") is None:
            r.fail("side", "is required")
    if not partial or "group" in doc:
        clean["group"] = r.text(doc.get("group"), "group", max_len=GUEST_GROUP_MAX)
    if not partial or "phone" in doc:
        clean["phone"] = r.phone(doc.get("phone"), "phone")
    r.validator.raise_if_any()
    return clean


async def page_guest(guests: GuestRepository, page_id: str, guest_id: str) -> Guest:
    guest = await guests.get(guest_id)
    if guest is None or guest.page_id != page_id:
        raise NotFound("No such guest")
    return guest


class AddGuest:
    def __init__(
        self,
        pages: PageRepository,
        guests: GuestRepository,
        uow: UnitOfWork,
        clock: Clock,
        policy: GuestsPolicy,
    ) -> None:
        self._pages, self._guests, self._uow = pages, guests, uow
        self._clock, self._policy = clock, policy

    async def __call__(self, actor: User, page_id: str, data: Mapping[str, Any]) -> Guest:
        page = await owned_page(self._pages, actor, page_id)
        page.ensure_editable()
        fields = read_guest(data, partial=False)
        if await self._guests.count(page.id) >= self._policy.guests_max:
            raise GuestListFull(f"A page holds at most {self._policy.guests_max} guests")
        guest = Guest(
            id=new_id(),
            page_id=page.id,
            token=secrets.token_urlsafe(16),
            created_at=self._clock.now(),
            **fields,
        )
        await self._guests.add(guest)
        await self._uow.commit()
        return guest


class ListGuests:
    def __init__(self, pages: PageRepository, guests: GuestRepository) -> None:
        self._pages, self._guests = pages, guests

    async def __call__(
        self, actor: User, page_id: str, *, limit: int, cursor: str | None
    ) -> CursorPage[Guest]:
        page = await owned_page(self._pages, actor, page_id)
        return page_of(await self._guests.list(page.id, limit=limit + 1, before=cursor), limit)


class UpdateGuest:
    """Changes the fields given; ``null`` clears the group or the phone."""

    def __init__(self, pages: PageRepository, guests: GuestRepository, uow: UnitOfWork) -> None:
        self._pages, self._guests, self._uow = pages, guests, uow

    async def __call__(
        self, actor: User, page_id: str, guest_id: str, data: Mapping[str, Any]
    ) -> Guest:
        page = await owned_page(self._pages, actor, page_id)
        page.ensure_editable()
        guest = await page_guest(self._guests, page.id, guest_id)
        for name, value in read_guest(data, partial=True).items():
            setattr(guest, name, value)
        await self._guests.update(guest)
        await self._uow.commit()
        return guest


class DeleteGuest:
    def __init__(self, pages: PageRepository, guests: GuestRepository, uow: UnitOfWork) -> None:
        self._pages, self._guests, self._uow = pages, guests, uow

    async def __call__(self, actor: User, page_id: str, guest_id: str) -> None:
        page = await owned_page(self._pages, actor, page_id)
        guest = await page_guest(self._guests, page.id, guest_id)
        await self._guests.delete(guest.id)
        await self._uow.commit()


class RecordGuestOpen:
    """Notes when a guest first opens their personal link to a published page.

    Silent about unknown tokens and pages: the public page must render whatever the link.
    Only the first opening writes, so the wedding-day hot path stays read-only.
    """

    def __init__(
        self, pages: PageRepository, guests: GuestRepository, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._pages, self._guests, self._uow, self._clock = pages, guests, uow, clock

    async def __call__(self, slug: str, token: str) -> None:
        page = await self._pages.by_slug(slug)
        if page is None or not page.is_public:
            return
        guest = await self._guests.by_token(page.id, token)
        if guest is None or guest.opened_at is not None:
            return
        guest.opened_at = self._clock.now()
        await self._guests.update(guest)
        await self._uow.commit()
