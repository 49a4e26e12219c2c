"""Page routes: the owner's CRUD and status changes, and the published page as JSON
(moderation is ``http/admin/pages.py``).

Page bodies are decoded as plain JSON objects: the core reads the partial document and names
every bad field by its dotted path. Responses carry the whole document and a strong
``ETag: "<version>"``; ``If-Match`` (or a ``version`` field) guards a change.
"""

from __future__ import annotations

from typing import Annotated, Any

from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, HeaderParameter, Parameter
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED

from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.closed_sets import PAGE_DOCUMENT_PROPERTIES
from entrypoints.http.fast.public_page import EXPIRES_KEY
from mocheong_core.errors import FieldError, ValidationFailed
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.pages.errors import PageLocked
from mocheong_core.pages.model import Page
from mocheong_core.pages.usecases import (
    ArchivePage,
    CreatePage,
    DeletePage,
    GetOpenPage,
    GetPage,
    ListMyPages,
    PublishPage,
    SuggestPageSlug,
    UnpublishPage,
    UpdatePage,
)

Limit = Annotated[int, Parameter(ge=1, le=100)]
Cursor = Annotated[str | None, Parameter(max_length=64)]
IfMatch = Annotated[str | None, HeaderParameter(name="If-Match", max_length=64)]
PageBody = Annotated[
    dict[str, Any],
    Body(
        media_type=RequestEncodingType.JSON,
        schema_extra={"properties": PAGE_DOCUMENT_PROPERTIES},
    ),
]


def etag(page: Page) -> str:
    return f'"{page.version}"'


def if_match_version(header: str | None) -> int | None:
    """The version named by an ``If-Match`` header (weak tags are taken as strong); ``*`` or
    no header states none."""
    if header is None or header.strip() == "*":
        return None
    tag = header.strip().removeprefix("W/")
    if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit():
        return int(tag[1:-1])
    raise ValidationFailed([FieldError("If-Match", 'must be the ETag of the page, such as "3"')])


def etag_matches(if_none_match: str | None, tag: str) -> bool:
    """If-None-Match compares weakly: ``W/"3"`` matches ``"3"``."""
    tags = {part.strip().removeprefix("W/") for part in (if_none_match or "").split(",")}
    return tag in tags or "*" in tags


def page_document(page: Page, *, public: bool = False) -> dict[str, Any]:
    head: dict[str, Any] = {
        "id": page.id,
        "slug": page.slug,
        "status": page.status.value,
        "plan": page.plan.value,
        "version": page.version,
    }
    if not public:
        head["owner_id"] = page.owner_id
    return {
        **head,
        **page.content.dump(),
        "created_at": page.created_at,
        "updated_at": page.updated_at,
    }


def page_response(page: Page, status_code: int = 200) -> Response[dict[str, Any]]:
    return Response(page_document(page), status_code=status_code, headers={"ETag": etag(page)})


def page_list(result: CursorPage[Page]) -> dict[str, Any]:
    return {"items": [page_document(p) for p in result.items], "next_cursor": result.next_cursor}


class PagesController(Controller):
    path = "/api/pages"
    tags = ["pages"]  # noqa: RUF012
    security = BEARER

    @post("/", status_code=201)
    @inject
    async def create_page(
        self,
        data: PageBody,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[CreatePage],
    ) -> Response[dict[str, Any]]:
        """Creates a draft from any part of the page document (all optional): couple,
        ceremony, venue, greeting, photos, gift accounts, theme, music, sections, RSVP,
        share, and the interview, notices (shuttle, parking, wreath, dress_code, meal,
        other), video (an https YouTube or Vimeo link) and ending message."""
        return page_response(await usecase(user, data), 201)

    @get("/")
    @inject
    async def list_pages(
        self,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListMyPages],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        return page_list(await usecase(user, limit=limit, cursor=cursor))

    @get("/{page_id:str}")
    @inject
    async def get_page(
        self, page_id: FromPath[str], user: FromDishka[CurrentUser], usecase: FromDishka[GetPage]
    ) -> Response[dict[str, Any]]:
        return page_response(await usecase(user, page_id))

    @get("/{page_id:str}/slug-suggestion")
    @inject
    async def suggest_slug(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[SuggestPageSlug],
    ) -> dict[str, str]:
        """A free address from the couple's given names, romanized (``minjun-seoyeon``); PATCH
        it as ``slug`` to take it."""
        return {"slug": await usecase(user, page_id)}

    @patch("/{page_id:str}")
    @inject
    async def update_page(
        self,
        page_id: FromPath[str],
        data: PageBody,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[UpdatePage],
        if_match: IfMatch = None,
    ) -> Response[dict[str, Any]]:
        """Merges the partial document given (a field set to null is cleared; lists such as
        gallery, interview and notices are replaced whole). Each change is kept in the
        page's history."""
        page = await usecase(user, page_id, data, if_match_version(if_match), by="user")
        return page_response(page)

    @delete("/{page_id:str}", status_code=HTTP_204_NO_CONTENT)
    @inject
    async def delete_page(
        self, page_id: FromPath[str], user: FromDishka[CurrentUser], usecase: FromDishka[DeletePage]
    ) -> None:
        await usecase(user, page_id)

    @post("/{page_id:str}/publish", status_code=200)
    @inject
    async def publish_page(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[PublishPage],
        if_match: IfMatch = None,
    ) -> Response[dict[str, Any]]:
        """422 lists each field guests still need; 409 when the status does not allow it."""
        return page_response(await usecase(user, page_id, if_match_version(if_match)))

    @post("/{page_id:str}/unpublish", status_code=200)
    @inject
    async def unpublish_page(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[UnpublishPage],
        if_match: IfMatch = None,
    ) -> Response[dict[str, Any]]:
        return page_response(await usecase(user, page_id, if_match_version(if_match)))

    @post("/{page_id:str}/archive", status_code=200)
    @inject
    async def archive_page(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ArchivePage],
        if_match: IfMatch = None,
    ) -> Response[dict[str, Any]]:
        """Takes the page offline for good; an archived page can no longer change."""
        return page_response(await usecase(user, page_id, if_match_version(if_match)))


class PublicPagesController(Controller):
    path = "/api/public/pages"
    tags = ["public"]  # noqa: RUF012

    @get("/{slug:str}")
    @inject
    async def published_page(
        self,
        slug: FromPath[str],
        request: Request[Any, Any, Any],
        usecase: FromDishka[GetOpenPage],
        if_none_match: Annotated[
            str | None, HeaderParameter(name="If-None-Match", max_length=1024)
        ] = None,
    ) -> Response[Any]:
        """The published page's document (no owner id); 304 on a matching If-None-Match. Once
        the page has locked after the wedding (`after_wedding.mode` `lock`), nothing of it but
        `slug`, `status`, `version` and `locked: true`, as the HTML page shows only a notice."""
        try:
            page = await usecase(slug)
        except PageLocked as locked:
            page = locked.page
            tag = f'"{page.version}-locked"'
            document: dict[str, Any] = {
                "slug": page.slug,
                "status": page.status.value,
                "version": page.version,
                "locked": True,
            }
        else:
            tag = etag(page)
            document = page_document(page, public=True)
            locks_at = page.content.after_wedding.locks_at(page.content.ceremony.starts_at)
            if locks_at is not None:  # the cache in front keeps it no later than that
                request.scope["state"][EXPIRES_KEY] = locks_at.timestamp()
        if etag_matches(if_none_match, tag):
            return Response(None, status_code=HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(document, headers={"ETag": tag})
