"""Guest list, RSVP and guestbook routes: the owner's under ``/api/pages/{page_id}``, the
guests' under ``/api/public/pages/{slug}`` (rate-limited per IP)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import FromPath, JSONBody, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.auth import BEARER, CurrentUser, bearer_token, client_ip
from entrypoints.http.closed_sets import MaybeMeal, MaybeSide, SideText
from entrypoints.http.fast.public_page import public_origin
from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import Authenticate
from mocheong_core.guests.guestbook import (
    DeleteGuestbookEntry,
    ListGuestbook,
    ListPageGuestbook,
    PostGuestbookEntry,
)
from mocheong_core.guests.model import Guest, GuestbookEntry, Rsvp, RsvpSummary, Tally
from mocheong_core.guests.rsvp import ExportRsvps, ListRsvps, SubmitRsvp, SummarizeRsvps
from mocheong_core.guests.usecases import AddGuest, DeleteGuest, ListGuests, UpdateGuest
from mocheong_core.kernel.ratelimit import Limit, RateLimiter, enforce
from mocheong_core.pages.usecases import GetOpenPage, GetPage

# Generous bounds on the wire; the core applies the real limits and names the field.
Text = Annotated[str, msgspec.Meta(max_length=2000)]
PageSize = Annotated[int, Parameter(ge=1, le=100)]
Cursor = Annotated[str | None, Parameter(max_length=64)]


class GuestIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    side: SideText
    group: Text | None = None
    phone: Text | None = None


class GuestPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` clears the group or the phone."""

    name: Text | msgspec.UnsetType = msgspec.UNSET
    side: SideText | msgspec.UnsetType = msgspec.UNSET
    group: Text | msgspec.UnsetType | None = msgspec.UNSET
    phone: Text | msgspec.UnsetType | None = msgspec.UNSET


class GuestOut(msgspec.Struct):
    id: str
    name: str
    side: SideText
    group: str | None
    phone: str | None
    token: str
    link: str
    """The guest's personal link, ``{MOCHEONG_PUBLIC_BASE_URL}/i/{slug}?g={token}``."""
    created_at: datetime
    opened_at: datetime | None
    responded_at: datetime | None


class GuestList(msgspec.Struct):
    items: list[GuestOut]
    next_cursor: str | None


class RsvpIn(msgspec.Struct, forbid_unknown_fields=True):
    attending: bool | None = None
    name: Text | None = None
    side: MaybeSide | None = None
    party_size: int | None = None
    meal: MaybeMeal | None = None
    note: Text | None = None
    guest_token: Text | None = None


class RsvpOut(msgspec.Struct):
    id: str
    guest_id: str | None
    name: str
    side: SideText
    attending: bool
    party_size: int
    meal: MaybeMeal | None
    note: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: Rsvp) -> RsvpOut:
        meal = r.meal.value if r.meal else None
        return cls(
            r.id, r.guest_id, r.name, r.side.value, r.attending, r.party_size, meal, r.note,
            r.created_at, r.updated_at,
        )  # fmt: skip


class RsvpList(msgspec.Struct):
    items: list[RsvpOut]
    next_cursor: str | None


class TallyOut(msgspec.Struct):
    responses: int
    attending: int
    declined: int
    headcount: int
    meals: dict[str, int]

    @classmethod
    def of(cls, t: Tally) -> TallyOut:
        return cls(t.responses, t.attending, t.declined, t.headcount, dict(t.meals))


class SummaryOut(msgspec.Struct):
    total: TallyOut
    by_side: dict[str, TallyOut]

    @classmethod
    def of(cls, s: RsvpSummary) -> SummaryOut:
        sides = {side.value: TallyOut.of(tally) for side, tally in s.by_side.items()}
        return cls(TallyOut.of(s.total), sides)


class EntryIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Text
    message: Text
    password: Text


class EntryOut(msgspec.Struct):
    """Never the password or its hash."""

    id: str
    name: str
    message: str
    created_at: datetime

    @classmethod
    def of(cls, e: GuestbookEntry) -> EntryOut:
        return cls(e.id, e.name, e.message, e.created_at)


class EntryList(msgspec.Struct):
    items: list[EntryOut]
    next_cursor: str | None


class DeleteEntryIn(msgspec.Struct, forbid_unknown_fields=True):
    password: Text | None = None


def guest_out(guest: Guest, slug: str, base: str) -> GuestOut:
    link = f"{base}/i/{slug}?g={quote(guest.token)}"
    return GuestOut(
        guest.id, guest.name, guest.side.value, guest.group, guest.phone, guest.token, link,
        guest.created_at, guest.opened_at, guest.responded_at,
    )  # fmt: skip


def present_fields(data: msgspec.Struct) -> dict[str, Any]:
    return {
        name: value
        for name in data.__struct_fields__
        if (value := getattr(data, name)) is not msgspec.UNSET
    }


class GuestsController(Controller):
    path = "/api/pages/{page_id:str}/guests"
    tags = ["guests"]  # noqa: RUF012
    security = BEARER

    @post("/", status_code=201)
    @inject
    async def add_guest(
        self,
        page_id: FromPath[str],
        data: JSONBody[GuestIn],
        user: FromDishka[CurrentUser],
        pages: FromDishka[GetPage],
        usecase: FromDishka[AddGuest],
        settings: FromDishka[Settings],
        request: Request[Any, Any, Any],
    ) -> GuestOut:
        page = await pages(user, page_id)
        guest = await usecase(user, page_id, msgspec.structs.asdict(data))
        return guest_out(guest, page.slug, public_origin(settings, request.scope))

    @get("/")
    @inject
    async def list_guests(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        pages: FromDishka[GetPage],
        usecase: FromDishka[ListGuests],
        settings: FromDishka[Settings],
        request: Request[Any, Any, Any],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> GuestList:
        page = await pages(user, page_id)
        result = await usecase(user, page_id, limit=limit, cursor=cursor)
        base = public_origin(settings, request.scope)
        return GuestList([guest_out(g, page.slug, base) for g in result.items], result.next_cursor)

    @patch("/{guest_id:str}")
    @inject
    async def update_guest(
        self,
        page_id: FromPath[str],
        guest_id: FromPath[str],
        data: JSONBody[GuestPatch],
        user: FromDishka[CurrentUser],
        pages: FromDishka[GetPage],
        usecase: FromDishka[UpdateGuest],
        settings: FromDishka[Settings],
        request: Request[Any, Any, Any],
    ) -> GuestOut:
        page = await pages(user, page_id)
        guest = await usecase(user, page_id, guest_id, present_fields(data))
        return guest_out(guest, page.slug, public_origin(settings, request.scope))

    @delete("/{guest_id:str}", status_code=HTTP_204_NO_CONTENT)
    @inject
    async def delete_guest(
        self,
        page_id: FromPath[str],
        guest_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[DeleteGuest],
    ) -> None:
        await usecase(user, page_id, guest_id)


class RsvpsController(Controller):
    path = "/api/pages/{page_id:str}"
    tags = ["rsvp"]  # noqa: RUF012
    security = BEARER

    @get("/rsvps")
    @inject
    async def list_rsvps(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListRsvps],
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> RsvpList:
        result = await usecase(user, page_id, limit=limit, cursor=cursor)
        return RsvpList([RsvpOut.of(r) for r in result.items], result.next_cursor)

    @get("/rsvps/summary")
    @inject
    async def rsvp_summary(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[SummarizeRsvps],
    ) -> SummaryOut:
        """Totals by side; headcount and meals (in people) count only those attending."""
        return SummaryOut.of(await usecase(user, page_id))

    @get("/rsvps.csv", media_type="text/csv")
    @inject
    async def rsvp_csv(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ExportRsvps],
    ) -> Response[bytes]:
        """Every answer as CSV (UTF-8 with BOM, Korean headers) for a spreadsheet."""
        export = await usecase(user, page_id)
        return Response(
            export.content,
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
        )

    @get("/guestbook", tags=["guestbook"])
    @inject
    async def page_guestbook(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListPageGuestbook],
        limit: PageSize = 20,
        cursor: Cursor = None,
    ) -> EntryList:
        """The page's guestbook for its couple, newest first, also once the page has locked
        after the wedding (when the public list answers 404)."""
        result = await usecase(user, page_id, limit=limit, cursor=cursor)
        return EntryList([EntryOut.of(e) for e in result.items], result.next_cursor)


async def limit_rsvp(
    limiter: RateLimiter, settings: Settings, request: Request[Any, Any, Any]
) -> None:
    """One budget per IP for RSVP answers, whether sent as JSON or as the page's plain form."""
    await enforce(limiter, f"rsvp:ip:{client_ip(request)}", Limit(settings.rates.rsvp_per_ip, 60))


async def limit_guestbook(
    limiter: RateLimiter, settings: Settings, request: Request[Any, Any, Any]
) -> None:
    """One budget per IP for guestbook entries, from JSON or from the page's plain form."""
    key = f"guestbook:ip:{client_ip(request)}"
    await enforce(limiter, key, Limit(settings.rates.guestbook_per_ip, 60))


class PublicGuestsController(Controller):
    path = "/api/public/pages/{slug:str}"
    tags = ["public"]  # noqa: RUF012

    @post("/rsvps", status_code=201)
    @inject
    async def submit_rsvp(
        self,
        slug: FromPath[str],
        data: JSONBody[RsvpIn],
        request: Request[Any, Any, Any],
        usecase: FromDishka[SubmitRsvp],
        limiter: FromDishka[RateLimiter],
        settings: FromDishka[Settings],
    ) -> Response[RsvpOut]:
        """201 for a new answer, 200 when it replaced the earlier answer of the same guest link;
        409 ``rsvp_closed`` when the page takes no more answers."""
        await limit_rsvp(limiter, settings, request)
        submitted = await usecase(slug, msgspec.structs.asdict(data))
        return Response(RsvpOut.of(submitted.rsvp), status_code=201 if submitted.created else 200)

    @post("/guestbook", status_code=201)
    @inject
    async def sign_guestbook(
        self,
        slug: FromPath[str],
        data: JSONBody[EntryIn],
        request: Request[Any, Any, Any],
        usecase: FromDishka[PostGuestbookEntry],
        limiter: FromDishka[RateLimiter],
        settings: FromDishka[Settings],
    ) -> EntryOut:
        await limit_guestbook(limiter, settings, request)
        return EntryOut.of(await usecase(slug, data.name, data.message, data.password))

    @get("/guestbook")
    @inject
    async def list_guestbook(
        self,
        slug: FromPath[str],
        usecase: FromDishka[ListGuestbook],
        open_page: FromDishka[GetOpenPage],
        limit: PageSize = 20,
        cursor: Cursor = None,
    ) -> EntryList:
        """Newest first; 404 once the page has locked after the wedding."""
        await open_page(slug)
        result = await usecase(slug, limit=limit, cursor=cursor)
        return EntryList([EntryOut.of(e) for e in result.items], result.next_cursor)

    @delete("/guestbook/{entry_id:str}", status_code=HTTP_204_NO_CONTENT, security=[{}, *BEARER])
    @inject
    async def delete_guestbook_entry(
        self,
        slug: FromPath[str],
        entry_id: FromPath[str],
        request: Request[Any, Any, Any],
        usecase: FromDishka[DeleteGuestbookEntry],
        authenticate: FromDishka[Authenticate],
        data: JSONBody[DeleteEntryIn | None] = None,
    ) -> None:
        """With the entry's password, or as the page's owner (bearer token); wrong password 403."""
        token = bearer_token(request.headers.get("authorization"))
        actor: User | None = await authenticate(token) if token else None
        password = data.password if data else None
        await usecase(slug, entry_id, password=password, actor=actor)
