"""dishka wiring of the pages and guests contexts (the guests' album included):
repositories, limits, use cases, and the page-change fan-out.

To hear about page changes (the public-page cache, the chat room), provide an implementation
of ``PageEventListener``: ``provide(MyListener, scope=..., provides=PageEventListener)``.
Every provided listener is collected here and told, in provider order.
"""

from __future__ import annotations

from dishka import Provider, Scope, collect, provide, provide_all
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.romanizer.korean import KoreanRomanizer
from adapters.sqla.repos.guests import (
    SqlaGuestbookRepository,
    SqlaGuestPhotoRepository,
    SqlaGuestRepository,
    SqlaRsvpRepository,
)
from adapters.sqla.repos.pages import SqlaPageHistory, SqlaPageRepository
from entrypoints.bootstrap.settings import Settings
from mocheong_core.guests.guestbook import (
    DeleteGuestbookEntry,
    ListGuestbook,
    ListPageGuestbook,
    PostGuestbookEntry,
)
from mocheong_core.guests.model import AlbumPolicy, GuestsPolicy
from mocheong_core.guests.photos import (
    ApproveGuestPhoto,
    ListAlbum,
    ListGuestPhotos,
    RemoveGuestPhoto,
    UploadGuestPhoto,
)
from mocheong_core.guests.ports import (
    GuestbookRepository,
    GuestPhotoRepository,
    GuestRepository,
    RsvpRepository,
)
from mocheong_core.guests.rsvp import ExportRsvps, ListRsvps, SubmitRsvp, SummarizeRsvps
from mocheong_core.guests.usecases import (
    AddGuest,
    DeleteGuest,
    ListGuests,
    RecordGuestOpen,
    UpdateGuest,
)
from mocheong_core.pages.document import PagePolicy
from mocheong_core.pages.ports import (
    PageEventListener,
    PageEvents,
    PageEventsFanout,
    PageHistory,
    PageRepository,
)
from mocheong_core.pages.revert import (
    GetPageVersion,
    ListPageHistory,
    RevertPage,
    UndoAgentChange,
)
from mocheong_core.pages.slugs import Romanizer
from mocheong_core.pages.usecases import (
    AdminListPages,
    AdminUnpublishPage,
    ArchivePage,
    CreatePage,
    DeletePage,
    GetOpenPage,
    GetPage,
    GetPublishedPage,
    ListMyPages,
    PublishPage,
    SuggestPageSlug,
    UnpublishPage,
    UpdatePage,
)


class PagesProvider(Provider):
    @provide(scope=Scope.APP)
    def page_policy(self, settings: Settings) -> PagePolicy:
        return PagePolicy(
            gallery_max=settings.pages.gallery_max,
            free_gallery_max=settings.pages.free_gallery_max,
            greeting_max=settings.pages.greeting_max,
            gift_accounts_max=settings.pages.gift_accounts_max,
            interview_max=settings.pages.interview_max,
            notices_max=settings.pages.notices_max,
            ending_max=settings.pages.ending_max,
            thanks_max=settings.pages.thanks_max,
            thanks_photos_max=settings.pages.thanks_photos_max,
        )

    @provide(scope=Scope.APP)
    def guests_policy(self, settings: Settings) -> GuestsPolicy:
        return GuestsPolicy(
            party_size_max=settings.pages.rsvp_party_size_max, guests_max=settings.pages.guests_max
        )

    @provide(scope=Scope.APP)
    def album_policy(self, settings: Settings) -> AlbumPolicy:
        return AlbumPolicy(
            max_bytes=settings.pages.guest_photo_max_bytes,
            photos_max=settings.pages.guest_photos_max,
        )

    listeners = collect(PageEventListener, scope=Scope.REQUEST)

    @provide(scope=Scope.REQUEST)
    def page_events(self, listeners: list[PageEventListener]) -> PageEvents:
        return PageEventsFanout(listeners)

    @provide(scope=Scope.REQUEST)
    def page_history(self, session: AsyncSession, settings: Settings) -> PageHistory:
        return SqlaPageHistory(session, keep=settings.pages.history_max)

    pages = provide(SqlaPageRepository, scope=Scope.REQUEST, provides=PageRepository)
    guests = provide(SqlaGuestRepository, scope=Scope.REQUEST, provides=GuestRepository)
    rsvps = provide(SqlaRsvpRepository, scope=Scope.REQUEST, provides=RsvpRepository)
    guestbook = provide(SqlaGuestbookRepository, scope=Scope.REQUEST, provides=GuestbookRepository)
    photos = provide(SqlaGuestPhotoRepository, scope=Scope.REQUEST, provides=GuestPhotoRepository)
    romanizer = provide(KoreanRomanizer, scope=Scope.APP, provides=Romanizer)
    page_usecases = provide_all(
        CreatePage,
        SuggestPageSlug,
        GetPage,
        ListMyPages,
        UpdatePage,
        DeletePage,
        PublishPage,
        UnpublishPage,
        ArchivePage,
        GetPublishedPage,
        GetOpenPage,
        AdminListPages,
        AdminUnpublishPage,
        ListPageHistory,
        GetPageVersion,
        RevertPage,
        UndoAgentChange,
        scope=Scope.REQUEST,
    )
    guest_usecases = provide_all(
        AddGuest,
        ListGuests,
        UpdateGuest,
        DeleteGuest,
        RecordGuestOpen,
        SubmitRsvp,
        ListRsvps,
        SummarizeRsvps,
        ExportRsvps,
        PostGuestbookEntry,
        ListGuestbook,
        ListPageGuestbook,
        DeleteGuestbookEntry,
        UploadGuestPhoto,
        ListAlbum,
        ListGuestPhotos,
        ApproveGuestPhoto,
        RemoveGuestPhoto,
        scope=Scope.REQUEST,
    )
