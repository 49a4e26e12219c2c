"""Every page and guest use case wired to the in-memory twins, a movable clock and cheap argon2."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

from adapters.memory.guests import (
    InMemoryGuestbookEvents,
    InMemoryGuestbookRepository,
    InMemoryGuestRepository,
    InMemoryRsvpRepository,
)
from adapters.memory.pages import (
    InMemoryPageEvents,
    InMemoryPageHistory,
    InMemoryPageRepository,
)
from adapters.memory.uow import InMemoryUnitOfWork, Transactional
from adapters.romanizer.korean import KoreanRomanizer
from mocheong_core.accounts.model import Role, User
from mocheong_core.guests.guestbook import DeleteGuestbookEntry, ListGuestbook, PostGuestbookEntry
from mocheong_core.guests.model import GuestsPolicy
from mocheong_core.guests.rsvp import ExportRsvps, ListRsvps, SubmitRsvp, SummarizeRsvps
from mocheong_core.guests.usecases import (
    AddGuest,
    DeleteGuest,
    ListGuests,
    RecordGuestOpen,
    UpdateGuest,
)
from mocheong_core.kernel.ids import new_id
from mocheong_core.pages.document import PagePolicy
from mocheong_core.pages.model import Page
from mocheong_core.pages.revert import (
    GetPageVersion,
    ListPageHistory,
    RevertPage,
    UndoAgentChange,
)
from mocheong_core.pages.usecases import (
    AdminListPages,
    AdminUnpublishPage,
    ArchivePage,
    CreatePage,
    DeletePage,
    GetPage,
    GetPublishedPage,
    ListMyPages,
    PublishPage,
    SuggestPageSlug,
    UnpublishPage,
    UpdatePage,
)
from tests.unit.accounts_harness import ManualClock, cheap_hasher

T = TypeVar("T")

COMPLETE: dict[str, Any] = {
    "couple": {"groom": {"name": "김민준", "title": "장남"}, "bride": {"name": "이서연"}},
    "ceremony": {"starts_at": "2027-05-15T13:00:00+09:00"},
    "venue": {"name": "더채플앳청담", "address": "서울 강남구 선릉로 757"},
}


def person(name: str = "Minjun", role: Role = Role.USER) -> User:
    return User(
        id=new_id(),
        email=f"{new_id()}@example.com",
        name=name,
        password_hash="unused",
        role=role,
        disabled=False,
        created_at=datetime(2027, 1, 1, tzinfo=UTC),
    )


class Pages:
    """One 'process': shared stores, and each call run like a request that ends afterwards."""

    def __init__(
        self,
        policy: PagePolicy | None = None,
        guests_policy: GuestsPolicy | None = None,
        history_max: int = 200,
        more_stores: tuple[Transactional, ...] = (),
    ) -> None:
        """``more_stores`` join the unit of work (another context's repositories)."""
        # A month before COMPLETE's ceremony: pages publish and take answers.
        self.clock = ManualClock(datetime(2027, 4, 15, 4, 0, tzinfo=UTC))
        self.pages = InMemoryPageRepository()
        self.history = InMemoryPageHistory(keep=history_max)
        self.guests = InMemoryGuestRepository()
        self.rsvps = InMemoryRsvpRepository()
        self.entries = InMemoryGuestbookRepository()
        self.events = InMemoryPageEvents()
        self.guestbook_events = InMemoryGuestbookEvents()
        self.uow = InMemoryUnitOfWork(
            self.pages, self.history, self.guests, self.rsvps, self.entries, *more_stores
        )
        self.hasher = cheap_hasher()
        policy = policy or PagePolicy()
        guests_policy = guests_policy or GuestsPolicy()
        pages, events, uow, clock = self.pages, self.events, self.uow, self.clock
        history = self.history

        self.create = CreatePage(pages, history, uow, clock, policy, KoreanRomanizer())
        self.suggest_slug = SuggestPageSlug(pages, KoreanRomanizer())
        self.get = GetPage(pages)
        self.list_mine = ListMyPages(pages)
        self.update = UpdatePage(pages, history, events, uow, clock, policy)
        self.delete = DeletePage(pages, events, uow)
        self.publish = PublishPage(pages, history, events, uow, clock)
        self.unpublish = UnpublishPage(pages, history, events, uow, clock)
        self.archive = ArchivePage(pages, history, events, uow, clock)
        self.admin_unpublish = AdminUnpublishPage(pages, history, events, uow, clock)
        self.list_history = ListPageHistory(pages, history)
        self.get_version = GetPageVersion(pages, history)
        self.revert = RevertPage(pages, history, events, uow, clock, policy)
        self.undo = UndoAgentChange(pages, history, events, uow, clock, policy)
        self.admin_list = AdminListPages(pages)
        self.published = GetPublishedPage(pages)

        self.add_guest = AddGuest(pages, self.guests, uow, clock, guests_policy)
        self.list_guests = ListGuests(pages, self.guests)
        self.update_guest = UpdateGuest(pages, self.guests, uow)
        self.delete_guest = DeleteGuest(pages, self.guests, uow)
        self.record_open = RecordGuestOpen(pages, self.guests, uow, clock)
        self.submit_rsvp = SubmitRsvp(pages, self.guests, self.rsvps, uow, clock, guests_policy)
        self.list_rsvps = ListRsvps(pages, self.rsvps)
        self.summarize = SummarizeRsvps(pages, self.rsvps)
        self.export = ExportRsvps(pages, self.rsvps)
        self.sign = PostGuestbookEntry(
            pages, self.entries, self.hasher, uow, clock, self.guestbook_events
        )
        self.guestbook = ListGuestbook(pages, self.entries)
        self.unsign = DeleteGuestbookEntry(
            pages, self.entries, self.hasher, uow, self.guestbook_events
        )

    async def run(self, call: Awaitable[T]) -> T:
        """Awaits a use case; what it did not commit is lost, as when a request's session closes."""
        try:
            return await call
        finally:
            await self.uow.rollback()

    async def new_page(self, owner: User, document: dict[str, Any] | None = None) -> Page:
        return await self.run(self.create(owner, document))

    async def live_page(self, owner: User, **extra: Any) -> Page:
        """A complete, published page (``extra`` merged into the document first)."""
        page = await self.new_page(owner, {**COMPLETE, **extra})
        return await self.run(self.publish(owner, page.id))
