"""The guests' side of an invitation, as HTML: the page itself, its calendar file, and the
RSVP and guestbook forms for browsers without script.

With script, the page's forms post JSON to ``/api/public/pages/{slug}/...`` (the guests
routes). Without it they post here; each answer redirects back (``303``) to the page with an
anchor whose notice CSS shows (``#rsvp-done``), and a refusal is a short HTML page saying why.
``GET /i/{slug}`` is normally answered from the cache by ``public_fast``; this handler renders
on a miss.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, Parameter
from litestar.response import Redirect

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.api.guest_photos import guest_photo_cap, receive_guest_photo
from entrypoints.http.api.guests import limit_guestbook, limit_rsvp
from entrypoints.http.fast.public_page import EXPIRES_KEY, public_origin
from entrypoints.http.public.ics import invitation_ics
from entrypoints.http.public.render import PublicTemplates, Rendered
from entrypoints.http.public.share_image import (
    DEFAULT_IMAGE,
    share_file_ids,
    share_image_name,
    share_source,
)
from entrypoints.http.public.view import AlbumContent, build_view, share_title
from entrypoints.http.statuses import status_of
from mocheong_core.agents.ports import Geocoder
from mocheong_core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from mocheong_core.files.usecases import MakeShareImage, ResolveFiles
from mocheong_core.guests.guestbook import DeleteGuestbookEntry, ListGuestbook, PostGuestbookEntry
from mocheong_core.guests.links import GuestOfLink
from mocheong_core.guests.photos import ListAlbum, UploadGuestPhoto, album_open, album_shown
from mocheong_core.guests.rsvp import SubmitRsvp
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ratelimit import RateLimiter
from mocheong_core.pages.model import Page
from mocheong_core.pages.occasion import AfterMode
from mocheong_core.pages.usecases import GetOpenPage, GetPublishedPage

HTML = "text/html"
JPEG = "image/jpeg"
SHARE_NAME = re.compile(r"share-[0-9a-f]{16}\.jpg")
DEFAULT_JPEG = DEFAULT_IMAGE.read_bytes()
# A version's bytes never change: its address changes instead.
FOREVER = "public, max-age=31536000, immutable"
Form = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
REFUSALS = {
    "validation_error": "입력하신 내용을 확인해 주세요",
    "rsvp_closed": "참석 여부 응답이 마감되었습니다",
    "wrong_password": "비밀번호가 맞지 않습니다",
    "rate_limited": "잠시 후 다시 시도해 주세요",
    "album_closed": "지금은 사진을 받지 않습니다",
    "album_full": "앨범이 가득 찼습니다",
    "file_too_large": "사진이 너무 큽니다",
    "unsupported_media_type": "사진 파일(JPG, PNG, HEIC 등)만 올릴 수 있습니다",
    "image_too_large": "사진의 해상도가 너무 큽니다",
}


LOCKED_TITLE = "함께해 주셔서 감사합니다"
LOCKED_MESSAGE = "예식이 끝나 청첩장을 닫았습니다.\n축하해 주신 마음 오래 간직하겠습니다."


class RenderPublicPage:
    """Reads a published page with its files and newest guestbook entries, and renders it."""

    def __init__(
        self,
        published: GetPublishedPage,
        files: ResolveFiles,
        guestbook: ListGuestbook,
        album: ListAlbum,
        clock: Clock,
        templates: PublicTemplates,
        settings: Settings,
        geocoder: Geocoder,
    ) -> None:
        self._published, self._files, self._guestbook = published, files, guestbook
        self._album = album
        self._clock, self._templates, self._settings = clock, templates, settings
        self._map_credit = geocoder.attribution

    async def __call__(self, slug: str, origin: str) -> tuple[Rendered, datetime]:
        """The page and the moment it stops being right (raises ``NotFound``)."""
        page = await self._published(slug)
        content = page.content
        ids = [content.cover_file_id, content.share.image_file_id, content.music.file_id]
        photos = [*content.gallery, *content.after_wedding.photos]
        files = await self._files([i for i in [*ids, *photos] if i])
        entries = await self._guestbook(
            slug, limit=self._settings.public.guestbook_entries, cursor=None
        )
        now = self._clock.now()
        view = build_view(
            page,
            files,
            entries.items,
            entries.next_cursor,
            origin=origin,
            now=now,
            map_credit=self._map_credit,
            kakao_js_key=self._settings.web.kakao_js_key,
            album=await self._album_of(page, now) if album_shown(page) else None,
        )
        if view.after is AfterMode.LOCK:
            return self._templates.notice(LOCKED_TITLE, LOCKED_MESSAGE), view.valid_until
        rendered = self._templates.page(
            view, party_size_max=self._settings.pages.rsvp_party_size_max
        )
        return rendered, view.valid_until

    async def _album_of(self, page: Page, now: datetime) -> AlbumContent:
        found = await self._album(page.slug, limit=self._settings.public.album_photos, cursor=None)
        photos = [(v.photo.guest_name, v.file) for v in found.items if v.file]
        cap = guest_photo_cap(self._settings)
        return AlbumContent(photos, found.next_cursor, album_open(page, now), cap)


class GuestHello(msgspec.Struct):
    name: str
    side: str


def html(
    rendered: Rendered, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response[bytes]:
    return Response(
        rendered.body,
        status_code=status,
        media_type=HTML,
        headers={"Content-Security-Policy": rendered.csp, **(headers or {})},
    )


def not_found(templates: PublicTemplates) -> Response[bytes]:
    page = templates.notice(
        "청첩장을 찾을 수 없어요",
        "주소가 바뀌었거나 아직 공개되지 않은 청첩장입니다.\n"
        "보내 주신 분께 주소를 다시 확인해 주세요.",
    )
    return html(page, 404, {"Cache-Control": "no-cache"})


def refused(templates: PublicTemplates, exc: DomainError, back: str) -> Response[bytes]:
    status = status_of(exc)
    if status == 404:
        return not_found(templates)
    headers = {"Cache-Control": "no-store"}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    title = REFUSALS.get(exc.code, exc.title)
    if isinstance(exc, ValidationFailed):
        errors = [f"{e.field}: {e.message}" for e in exc.errors]
        page = templates.notice(title, "", errors=errors, back=back)
    else:
        page = templates.notice(title, exc.detail, back=back)
    return html(page, status, headers)


def form_value(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    return str(value) if value not in (None, "") else None


def rsvp_answer(form: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON answer a form's fields stand for; anything malformed is left for the core
    to name."""
    attending = form_value(form, "attending")
    party_size = form_value(form, "party_size")
    return {
        "name": form_value(form, "name"),
        "side": form_value(form, "side"),
        "attending": {"yes": True, "no": False}.get(attending or "", attending),
        "party_size": int(party_size) if party_size and party_size.isdigit() else party_size,
        "meal": form_value(form, "meal"),
        "note": form_value(form, "note"),
        "guest_token": form_value(form, "guest_token"),
    }


class PublicPageController(Controller):
    path = "/i"
    tags = ["public page"]  # noqa: RUF012

    @get("/{slug:str}", media_type=HTML)
    @inject
    async def page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        render: FromDishka[RenderPublicPage],
        templates: FromDishka[PublicTemplates],
        settings: FromDishka[Settings],
    ) -> Response[bytes]:
        """The invitation (Open Graph and JSON-LD `Event` in the head); `ETag`, `304` and
        `Cache-Control` are added by the cache in front. Unknown or unpublished: a 404 page."""
        try:
            rendered, until = await render(slug, public_origin(settings, request.scope))
        except NotFound:
            return not_found(templates)
        request.scope["state"][EXPIRES_KEY] = until.timestamp()
        return html(rendered)

    @get("/{slug:str}/calendar.ics", media_type="text/calendar")
    @inject
    async def calendar(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        usecase: FromDishka[GetOpenPage],
        templates: FromDishka[PublicTemplates],
        settings: FromDishka[Settings],
    ) -> Response[bytes]:
        """The ceremony as an iCalendar event (RFC 5545); a 404 page once the page has locked
        after the wedding."""
        try:
            page = await usecase(slug)
        except NotFound:
            return not_found(templates)
        url = f"{public_origin(settings, request.scope)}/i/{page.slug}"
        return Response(
            invitation_ics(page, url, share_title(page)),
            media_type="text/calendar",
            headers={
                "Content-Disposition": f'attachment; filename="{page.slug}.ics"',
                "Cache-Control": "no-cache",
            },
        )

    @get("/{slug:str}/{name:str}", media_type=JPEG)
    @inject
    async def share_image(
        self,
        slug: FromPath[str],
        name: FromPath[str],
        published: FromDishka[GetOpenPage],
        files: FromDishka[ResolveFiles],
        make: FromDishka[MakeShareImage],
        templates: FromDishka[PublicTemplates],
    ) -> Response[Any]:
        """The link-preview JPEG (`og:image`), public and cached for a year: its name holds the
        version of the photo it is made from. An older version's name redirects to the
        current one. Not found once the page has locked after the wedding."""
        if not SHARE_NAME.fullmatch(name):
            return not_found(templates)
        try:
            page = await published(slug)
        except NotFound:
            return not_found(templates)
        content = page.content
        source = share_source(content, await files(share_file_ids(content)))
        current = share_image_name(source)
        if name != current:
            return Redirect(
                f"/i/{page.slug}/{current}",
                status_code=302,
                headers={"Cache-Control": "no-cache"},
                media_type=HTML,
            )
        made = await make(source) if source else None
        if source and made is None:
            # The photo's bytes are missing from storage: the default, without a year's cache.
            return Response(DEFAULT_JPEG, media_type=JPEG, headers={"Cache-Control": "no-cache"})
        return Response(made or DEFAULT_JPEG, media_type=JPEG, headers={"Cache-Control": FOREVER})

    @get("/{slug:str}/guest")
    @inject
    async def guest(
        self,
        slug: FromPath[str],
        usecase: FromDishka[GuestOfLink],
        g: Annotated[str, Parameter(min_length=1, max_length=64)],
    ) -> Response[GuestHello]:
        """Name and side of the guest whose personal link this is (to greet them and fill in
        the RSVP form); 404 for a token that is not one."""
        guest = await usecase(slug, g)
        return Response(
            GuestHello(guest.name, guest.side.value), headers={"Cache-Control": "no-store"}
        )

    @post("/{slug:str}/rsvp", status_code=303, media_type=HTML)
    @inject
    async def rsvp_form(
        self,
        slug: FromPath[str],
        data: Form,
        request: Request[Any, Any, Any],
        usecase: FromDishka[SubmitRsvp],
        limiter: FromDishka[RateLimiter],
        templates: FromDishka[PublicTemplates],
        settings: FromDishka[Settings],
    ) -> Response[Any]:
        """The RSVP form sent without script: `303` back to the page, or a page saying why not."""
        try:
            await limit_rsvp(limiter, settings, request)
            submitted = await usecase(slug, rsvp_answer(data))
        except DomainError as exc:
            return refused(templates, exc, back=f"/i/{slug}#rsvp")
        return Redirect(f"/i/{slug}?rsvp={submitted.rsvp.id}#rsvp-done", status_code=303)

    @post("/{slug:str}/guestbook", status_code=303, media_type=HTML)
    @inject
    async def guestbook_form(
        self,
        slug: FromPath[str],
        data: Form,
        request: Request[Any, Any, Any],
        usecase: FromDishka[PostGuestbookEntry],
        limiter: FromDishka[RateLimiter],
        templates: FromDishka[PublicTemplates],
        settings: FromDishka[Settings],
    ) -> Response[Any]:
        """The guestbook form sent without script."""
        try:
            await limit_guestbook(limiter, settings, request)
            entry = await usecase(
                slug,
                form_value(data, "name") or "",
                form_value(data, "message") or "",
                form_value(data, "password") or "",
            )
        except DomainError as exc:
            return refused(templates, exc, back=f"/i/{slug}#guestbook")
        # A new query keeps the browser from showing its cached copy without the entry.
        return Redirect(f"/i/{slug}?gb={entry.id}#guestbook-done", status_code=303)

    @post("/{slug:str}/guestbook/{entry_id:str}/delete", status_code=303, media_type=HTML)
    @inject
    async def guestbook_delete_form(
        self,
        slug: FromPath[str],
        entry_id: FromPath[str],
        data: Form,
        usecase: FromDishka[DeleteGuestbookEntry],
        templates: FromDishka[PublicTemplates],
    ) -> Response[Any]:
        """Deleting one's own guestbook entry with its password, without script."""
        try:
            await usecase(slug, entry_id, password=form_value(data, "password") or "", actor=None)
        except DomainError as exc:
            return refused(templates, exc, back=f"/i/{slug}#guestbook")
        return Redirect(f"/i/{slug}?gb=deleted#guestbook", status_code=303)

    @post("/{slug:str}/photos", status_code=303, media_type=HTML, request_max_body_size=None)
    @inject
    async def photo_form(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        usecase: FromDishka[UploadGuestPhoto],
        limiter: FromDishka[RateLimiter],
        templates: FromDishka[PublicTemplates],
        settings: FromDishka[Settings],
    ) -> Response[Any]:
        """A photo for the guests' album sent without script (multipart, field `file`)."""
        try:
            sent = await receive_guest_photo(slug, request, usecase, limiter, settings)
        except DomainError as exc:
            return refused(templates, exc, back=f"/i/{slug}#album")
        return Redirect(f"/i/{slug}?photo={sent.photo.id}#album-done", status_code=303)
