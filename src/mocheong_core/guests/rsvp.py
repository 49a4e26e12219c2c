"""Guests answer the RSVP on the public page; the couple reads the answers, totals and CSV."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from mocheong_core.accounts.model import User
from mocheong_core.guests.errors import RsvpClosed
from mocheong_core.guests.export import rsvps_csv
from mocheong_core.guests.model import (
    RSVP_NAME_MAX,
    RSVP_NOTE_MAX,
    Guest,
    GuestsPolicy,
    Meal,
    Rsvp,
    RsvpSummary,
    Side,
)
from mocheong_core.guests.ports import GuestRepository, RsvpRepository
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.uow import UnitOfWork
from mocheong_core.pages.dates import rsvp_open
from mocheong_core.pages.model import Page
from mocheong_core.pages.ports import PageRepository
from mocheong_core.pages.reader import DocumentReader
from mocheong_core.pages.usecases import GetPublishedPage, owned_page, page_of

ANSWER_FIELDS = ("name", "side", "attending", "party_size", "meal", "note", "guest_token")


@attrs.frozen
class Answer:
    name: str
    side: Side
    attending: bool
    party_size: int
    meal: Meal | None
    note: str | None


@attrs.frozen
class Submitted:
    rsvp: Rsvp
    created: bool
    """False when the answer replaced the guest's earlier one."""


class SubmitRsvp:
    """One answer per personal link (a second one replaces the first); answers without a link
    are each kept. Name and side default to the guest's when the link is given."""

    def __init__(
        self,
        pages: PageRepository,
        guests: GuestRepository,
        rsvps: RsvpRepository,
        uow: UnitOfWork,
        clock: Clock,
        policy: GuestsPolicy,
    ) -> None:
        self._published = GetPublishedPage(pages)
        self._guests, self._rsvps, self._uow = guests, rsvps, uow
        self._clock, self._policy = clock, policy

    async def __call__(self, slug: str, data: Mapping[str, Any]) -> Submitted:
        page = await self._published(slug)
        now = self._clock.now()
        if not rsvp_open(page.content, now):
            raise RsvpClosed
        guest, answer = await self._read(page, data)
        previous = await self._rsvps.by_guest(guest.id) if guest else None
        if previous is not None:
            rsvp = attrs.evolve(previous, **attrs.asdict(answer, recurse=False), updated_at=now)
            await self._rsvps.update(rsvp)
        else:
            rsvp = Rsvp(
                id=new_id(),
                page_id=page.id,
                guest_id=guest.id if guest else None,
                created_at=now,
                updated_at=now,
                **attrs.asdict(answer, recurse=False),
            )
            await self._rsvps.add(rsvp)
        if guest is not None:
            guest.responded_at = now
            await self._guests.update(guest)
        await self._uow.commit()
        return Submitted(rsvp, created=previous is None)

    async def _read(self, page: Page, data: Mapping[str, Any]) -> tuple[Guest | None, Answer]:
        r = DocumentReader()
        doc = r.fields(data, "", ANSWER_FIELDS) or {}
        guest = None
        token = r.text(doc.get("guest_token"), "guest_token", max_len=64)
        if token is not None:
            guest = await self._guests.by_token(page.id, token)
            if guest is None:
                r.fail("guest_token", "is not a personal link of this invitation")
        name = r.text(doc.get("name"), "name", max_len=RSVP_NAME_MAX)
        side = r.choice(doc.get("side"), "side", Side)
        for key, value in (("name", name), ("side", side)):
            if value is None and doc.get(key) is None and token is None:
                r.fail(key, "is required")
        if not isinstance(doc.get("attending"), bool):
            r.fail("attending", "must be true or false")
        party_size = r.integer(
            doc.get("party_size"), "party_size", low=1, high=self._policy.party_size_max
        )
        meal = r.choice(doc.get("meal"), "meal", Meal)
        note = r.text(doc.get("note"), "note", max_len=RSVP_NOTE_MAX, multiline=True)
        r.validator.raise_if_any()
        answer = Answer(
            name=name or (guest.name if guest else ""),
            side=side or (guest.side if guest else Side.GROOM),
            attending=bool(doc["attending"]),
            party_size=party_size or 1,
            # An answer to a question the page does not ask would only confuse the totals.
            meal=meal if page.content.rsvp.ask_meal else None,
            note=note,
        )
        return guest, answer


class ListRsvps:
    def __init__(self, pages: PageRepository, rsvps: RsvpRepository) -> None:
        self._pages, self._rsvps = pages, rsvps

    async def __call__(
        self, actor: User, page_id: str, *, limit: int, cursor: str | None
    ) -> CursorPage[Rsvp]:
        page = await owned_page(self._pages, actor, page_id)
        return page_of(await self._rsvps.list(page.id, limit=limit + 1, before=cursor), limit)


class SummarizeRsvps:
    def __init__(self, pages: PageRepository, rsvps: RsvpRepository) -> None:
        self._pages, self._rsvps = pages, rsvps

    async def __call__(self, actor: User, page_id: str) -> RsvpSummary:
        page = await owned_page(self._pages, actor, page_id)
        return RsvpSummary.of(await self._rsvps.all(page.id))


@attrs.frozen
class CsvExport:
    filename: str
    content: bytes


class ExportRsvps:
    def __init__(self, pages: PageRepository, rsvps: RsvpRepository) -> None:
        self._pages, self._rsvps = pages, rsvps

    async def __call__(self, actor: User, page_id: str) -> CsvExport:
        page = await owned_page(self._pages, actor, page_id)
        content = rsvps_csv(await self._rsvps.all(page.id), page.content.ceremony.time_zone)
        return CsvExport(f"rsvps-{page.slug}.csv", content)
