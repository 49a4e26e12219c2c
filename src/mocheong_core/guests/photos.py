"""The guests' photo album of a published premium page: guests add photos from the day, the
couple approves (the page shows it) or removes (its bytes go) each one.

A photo is a file of the page's owner (``mocheong_core.files``), so it is checked, stored and
given web variants exactly as the couple's own uploads are: type from the bytes, size capped,
decompression bombs refused, keys made of ids only. ``GuestPhoto`` adds who sent it and where
it stands.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import IO

import attrs

from mocheong_core.accounts.model import User
from mocheong_core.errors import NotFound
from mocheong_core.files.errors import FileNotFound
from mocheong_core.files.model import FileView
from mocheong_core.files.usecases import DeleteFile, ResolveFiles, UploadFile
from mocheong_core.guests.errors import AlbumClosed, AlbumFull, PhotoRemoved
from mocheong_core.guests.model import GUEST_PHOTO_NAME_MAX, AlbumPolicy, GuestPhoto, PhotoState
from mocheong_core.guests.ports import AlbumEvents, GuestPhotoRepository
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.uow import UnitOfWork
from mocheong_core.pages.model import Page
from mocheong_core.pages.occasion import AfterMode
from mocheong_core.pages.plan import is_premium
from mocheong_core.pages.ports import PageRepository
from mocheong_core.pages.reader import DocumentReader
from mocheong_core.pages.usecases import GetPublishedPage, owned_page, page_of


def album_shown(page: Page) -> bool:
    """The public page shows the approved photos: a premium page with the album on."""
    return is_premium(page.plan) and page.content.guest_photos.enabled


def album_open(page: Page, now: datetime) -> bool:
    """Guests may add photos: the album is shown on a published page that has not closed
    after the wedding (a page thanking its guests still takes the day's photos)."""
    content = page.content
    mode = content.after_wedding.mode_at(content.ceremony.starts_at, now)
    return page.is_public and album_shown(page) and mode is not AfterMode.LOCK


@attrs.frozen
class PhotoView:
    photo: GuestPhoto
    file: FileView | None
    """Its signed links; None once the file is gone (a removed photo)."""


class UploadGuestPhoto:
    def __init__(
        self,
        pages: PageRepository,
        photos: GuestPhotoRepository,
        upload: UploadFile,
        delete: DeleteFile,
        uow: UnitOfWork,
        clock: Clock,
        policy: AlbumPolicy,
    ) -> None:
        self._published = GetPublishedPage(pages)
        self._photos, self._upload, self._delete = photos, upload, delete
        self._uow, self._clock, self._policy = uow, clock, policy

    async def __call__(self, slug: str, source: IO[bytes], guest_name: str | None) -> PhotoView:
        """Stores the photo as pending; the couple sees it, guests do not until approved."""
        page = await self._published(slug)
        if not album_open(page, self._clock.now()):
            raise AlbumClosed
        r = DocumentReader()
        name = r.text(guest_name, "name", max_len=GUEST_PHOTO_NAME_MAX)
        r.validator.raise_if_any()
        if await self._photos.count_kept(page.id) >= self._policy.photos_max:
            raise AlbumFull(f"The album holds at most {self._policy.photos_max} photos")
        view = await self._upload(
            page.owner_id,
            source,
            page_id=page.id,
            max_bytes=self._policy.max_bytes,
            images_only=True,
        )
        photo = GuestPhoto(
            id=new_id(),
            page_id=page.id,
            file_id=view.record.id,
            guest_name=name,
            state=PhotoState.PENDING,
            created_at=self._clock.now(),
        )
        try:
            await self._photos.add(photo)
            await self._uow.commit()
        except BaseException:
            # A file no photo names would be the couple's forever, unseen: it goes too.
            await self._delete(page.owner_id, view.record.id)
            raise
        return PhotoView(photo, view)


async def _with_files(
    resolve: ResolveFiles, photos: list[GuestPhoto], limit: int
) -> CursorPage[PhotoView]:
    found = page_of(photos, limit)
    files = await resolve([p.file_id for p in found.items])
    return CursorPage([PhotoView(p, files.get(p.file_id)) for p in found.items], found.next_cursor)


class ListAlbum:
    """The approved photos of a published page whose album is shown, newest first."""

    def __init__(
        self, pages: PageRepository, photos: GuestPhotoRepository, resolve: ResolveFiles
    ) -> None:
        self._published = GetPublishedPage(pages)
        self._photos, self._resolve = photos, resolve

    async def __call__(self, slug: str, *, limit: int, cursor: str | None) -> CursorPage[PhotoView]:
        page = await self._published(slug)
        if not album_shown(page):
            return CursorPage([], None)
        photos = await self._photos.list(
            page.id, state=PhotoState.APPROVED, limit=limit + 1, before=cursor
        )
        found = await _with_files(self._resolve, photos, limit)
        # An approved photo always has its file; one deleted by other means is not shown.
        shown = [view for view in found.items if view.file is not None]
        return CursorPage(shown, found.next_cursor)


class ListGuestPhotos:
    """The owner's view of the album: every photo, or those in one state, newest first."""

    def __init__(
        self, pages: PageRepository, photos: GuestPhotoRepository, resolve: ResolveFiles
    ) -> None:
        self._pages, self._photos, self._resolve = pages, photos, resolve

    async def __call__(
        self,
        actor: User,
        page_id: str,
        *,
        state: PhotoState | None,
        limit: int,
        cursor: str | None,
    ) -> CursorPage[PhotoView]:
        page = await owned_page(self._pages, actor, page_id)
        photos = await self._photos.list(page.id, state=state, limit=limit + 1, before=cursor)
        return await _with_files(self._resolve, photos, limit)


class _Moderation:
    def __init__(
        self,
        pages: PageRepository,
        photos: GuestPhotoRepository,
        resolve: ResolveFiles,
        uow: UnitOfWork,
        clock: Clock,
        events: AlbumEvents,
    ) -> None:
        self._pages, self._photos, self._resolve = pages, photos, resolve
        self._uow, self._clock, self._events = uow, clock, events

    async def _photo(self, actor: User, page_id: str, photo_id: str) -> tuple[Page, GuestPhoto]:
        page = await owned_page(self._pages, actor, page_id)
        photo = await self._photos.get(photo_id)
        if photo is None or photo.page_id != page.id:
            raise NotFound("No such photo")
        return page, photo

    async def _decide(self, page: Page, photo: GuestPhoto, state: PhotoState) -> None:
        photo.state, photo.decided_at = state, self._clock.now()
        await self._photos.update(photo)
        await self._uow.commit()

    async def _view(self, photo: GuestPhoto) -> PhotoView:
        files = await self._resolve([photo.file_id])
        return PhotoView(photo, files.get(photo.file_id))


class ApproveGuestPhoto(_Moderation):
    """Shows the photo on the public page; approving it again changes nothing."""

    async def __call__(self, actor: User, page_id: str, photo_id: str) -> PhotoView:
        page, photo = await self._photo(actor, page_id, photo_id)
        if photo.state is PhotoState.REMOVED:
            raise PhotoRemoved
        if photo.state is PhotoState.PENDING:
            await self._decide(page, photo, PhotoState.APPROVED)
            await self._events.album_changed(page)
        return await self._view(photo)


class RemoveGuestPhoto(_Moderation):
    """Takes the photo off the album and deletes its bytes; removing it again changes
    nothing."""

    def __init__(
        self,
        pages: PageRepository,
        photos: GuestPhotoRepository,
        resolve: ResolveFiles,
        delete: DeleteFile,
        uow: UnitOfWork,
        clock: Clock,
        events: AlbumEvents,
    ) -> None:
        super().__init__(pages, photos, resolve, uow, clock, events)
        self._delete = delete

    async def __call__(self, actor: User, page_id: str, photo_id: str) -> PhotoView:
        page, photo = await self._photo(actor, page_id, photo_id)
        if photo.state is PhotoState.REMOVED:
            return PhotoView(photo, None)
        was_shown = photo.state is PhotoState.APPROVED
        await self._decide(page, photo, PhotoState.REMOVED)
        # The decision is kept first: a file left behind by a failure here is only bytes.
        with contextlib.suppress(FileNotFound):
            await self._delete(page.owner_id, photo.file_id)
        if was_shown:
            await self._events.album_changed(page)
        return PhotoView(photo, None)
