"""The guests' photo album: guests add photos under ``/api/public/pages/{slug}/photos``
(multipart, rate-limited per IP, the size cap applied while the body streams in) and see the
approved ones there; the couple lists, approves and removes them under
``/api/pages/{page_id}/photos``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, get, post
from litestar.openapi.spec import OpenAPIType, Operation, Schema
from litestar.params import FromPath, Parameter, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.auth import BEARER, CurrentUser, client_ip
from entrypoints.http.closed_sets import PhotoStateText, describe
from entrypoints.http.fast.public_page import public_origin
from entrypoints.http.public.view import absolute, image_of
from entrypoints.http.uploads import multipart_body, receive_upload
from mocheong_core.files.model import FileView
from mocheong_core.guests.model import GUEST_PHOTO_NAME_MAX, GuestPhoto, PhotoState
from mocheong_core.guests.photos import (
    ApproveGuestPhoto,
    ListAlbum,
    ListGuestPhotos,
    PhotoView,
    RemoveGuestPhoto,
    UploadGuestPhoto,
)
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.ratelimit import Limit, RateLimiter, enforce
from mocheong_core.pages.usecases import GetOpenPage

PageSize = Annotated[int, Parameter(ge=1, le=100)]
Cursor = Annotated[str | None, Parameter(max_length=64)]
# ``state`` is a name Litestar keeps for the app's state: the parameter is renamed on the wire.
StateFilter = Annotated[
    PhotoState | None, QueryParameter(name="state", description=describe(PhotoState))
]
RATE_WINDOW = 600
"""The guests' upload budget is per 10 minutes: a guest sends a few photos at once, then
nothing for a while."""


class AlbumPhotoOut(msgspec.Struct):
    """An approved photo as guests see it."""

    id: str
    guest_name: str | None
    created_at: datetime
    url: str
    """The largest web copy (or the original until the copies are made), signed, expiring."""
    thumbnail: str
    """The smallest web copy (or ``url``)."""
    width: int | None
    height: int | None


class AlbumPage(msgspec.Struct):
    items: list[AlbumPhotoOut]
    next_cursor: str | None


class SentPhotoOut(msgspec.Struct):
    """What a guest learns of the photo they sent: it waits for the couple."""

    id: str
    state: PhotoStateText
    guest_name: str | None
    created_at: datetime


class GuestPhotoOut(msgspec.Struct):
    """A photo as the couple sees it; ``url`` and ``thumbnail`` are null once removed."""

    id: str
    state: PhotoStateText
    guest_name: str | None
    created_at: datetime
    decided_at: datetime | None
    url: str | None
    thumbnail: str | None
    width: int | None
    height: int | None
    content_type: str | None
    size: int | None


class GuestPhotoList(msgspec.Struct):
    items: list[GuestPhotoOut]
    next_cursor: str | None


def _links(view: PhotoView, base: str) -> tuple[str, str] | None:
    if view.file is None:
        return None
    out = album_photo_out(view.photo, view.file, base)
    return out.url, out.thumbnail


def album_photo_out(photo: GuestPhoto, file: FileView, base: str) -> AlbumPhotoOut:
    image = image_of(file)
    return AlbumPhotoOut(
        photo.id,
        photo.guest_name,
        photo.created_at,
        absolute(image.large, base),
        absolute(image.src, base),
        file.record.width,
        file.record.height,
    )


def guest_photo_out(view: PhotoView, base: str) -> GuestPhotoOut:
    url, thumbnail = _links(view, base) or (None, None)
    record = view.file.record if view.file else None
    photo = view.photo
    return GuestPhotoOut(
        id=photo.id,
        state=photo.state.value,
        guest_name=photo.guest_name,
        created_at=photo.created_at,
        decided_at=photo.decided_at,
        url=url,
        thumbnail=thumbnail,
        width=record.width if record else None,
        height=record.height if record else None,
        content_type=record.content_type if record else None,
        size=record.size if record else None,
    )


def photo_list(found: CursorPage[PhotoView], base: str) -> GuestPhotoList:
    return GuestPhotoList([guest_photo_out(v, base) for v in found.items], found.next_cursor)


@dataclass
class PhotoUploadOperation(Operation):
    """The handler reads the body itself, so the schema of the multipart form is stated here."""

    def __post_init__(self) -> None:
        name = Schema(
            type=OpenAPIType.STRING,
            max_length=GUEST_PHOTO_NAME_MAX,
            description="Who sends it (optional)",
        )
        self.request_body = multipart_body(name=name)


def guest_photo_cap(settings: Settings) -> int:
    """The album's size cap: its own setting, never above the couple's."""
    return min(settings.pages.guest_photo_max_bytes, settings.http.max_upload_bytes)


async def receive_guest_photo(
    slug: str,
    request: Request[Any, Any, Any],
    usecase: UploadGuestPhoto,
    limiter: RateLimiter,
    settings: Settings,
) -> PhotoView:
    """One budget per IP, whether the photo comes from the page's script or its plain form."""
    key = f"guest-photos:ip:{client_ip(request)}"
    await enforce(limiter, key, Limit(settings.rates.guest_photos_per_ip, RATE_WINDOW))
    async with receive_upload(
        request.stream(),
        request.headers.get("content-type"),
        request.content_length,
        max_file_bytes=guest_photo_cap(settings),
        text_fields=("name",),
    ) as upload:
        return await usecase(slug, upload.file, upload.fields.get("name"))


class PublicAlbumController(Controller):
    path = "/api/public/pages/{slug:str}/photos"
    tags = ["public"]  # noqa: RUF012

    # No framework cap: ``receive_upload`` enforces MOCHEONG_GUEST_PHOTO_MAX_BYTES while the
    # body streams in.
    @post(
        "/",
        status_code=HTTP_201_CREATED,
        request_max_body_size=None,
        operation_class=PhotoUploadOperation,
    )
    @inject
    async def send_photo(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        usecase: FromDishka[UploadGuestPhoto],
        limiter: FromDishka[RateLimiter],
        settings: FromDishka[Settings],
    ) -> SentPhotoOut:
        """A guest's photo for the album (JPEG, PNG, WebP, GIF or HEIC, the type read from the
        bytes), pending until the couple approves it. 409 ``album_closed`` when the page takes
        no photos, 409 ``album_full``, 413, 415, 422 ``image_too_large``, 429."""
        photo = (await receive_guest_photo(slug, request, usecase, limiter, settings)).photo
        return SentPhotoOut(photo.id, photo.state.value, photo.guest_name, photo.created_at)

    @get("/")
    @inject
    async def album(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        usecase: FromDishka[ListAlbum],
        open_page: FromDishka[GetOpenPage],
        settings: FromDishka[Settings],
        limit: PageSize = 24,
        cursor: Cursor = None,
    ) -> AlbumPage:
        """The approved photos, newest first; empty when the page shows no album, 404 once
        the page has locked after the wedding."""
        await open_page(slug)
        found = await usecase(slug, limit=limit, cursor=cursor)
        base = public_origin(settings, request.scope)
        items = [album_photo_out(v.photo, v.file, base) for v in found.items if v.file]
        return AlbumPage(items, found.next_cursor)


class GuestPhotosController(Controller):
    path = "/api/pages/{page_id:str}/photos"
    tags = ["guests"]  # noqa: RUF012
    security = BEARER

    @get("/")
    @inject
    async def list_photos(
        self,
        page_id: FromPath[str],
        request: Request[Any, Any, Any],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListGuestPhotos],
        settings: FromDishka[Settings],
        photo_state: StateFilter = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> GuestPhotoList:
        """The guests' photos newest first, all or those in one ``state``."""
        found = await usecase(user, page_id, state=photo_state, limit=limit, cursor=cursor)
        return photo_list(found, public_origin(settings, request.scope))

    @post("/{photo_id:str}/approve", status_code=200)
    @inject
    async def approve(
        self,
        page_id: FromPath[str],
        photo_id: FromPath[str],
        request: Request[Any, Any, Any],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ApproveGuestPhoto],
        settings: FromDishka[Settings],
    ) -> GuestPhotoOut:
        """Shows the photo on the public page; again changes nothing; 409 ``photo_removed``."""
        view = await usecase(user, page_id, photo_id)
        return guest_photo_out(view, public_origin(settings, request.scope))

    @post("/{photo_id:str}/remove", status_code=200)
    @inject
    async def remove(
        self,
        page_id: FromPath[str],
        photo_id: FromPath[str],
        request: Request[Any, Any, Any],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[RemoveGuestPhoto],
        settings: FromDishka[Settings],
    ) -> GuestPhotoOut:
        """Takes the photo off (pending or approved) and deletes its file; again changes
        nothing."""
        view = await usecase(user, page_id, photo_id)
        return guest_photo_out(view, public_origin(settings, request.scope))
