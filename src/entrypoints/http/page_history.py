"""A page's history over HTTP: its versions newest first, one version with its content, and a
revert to one (a new version; the old ones stay). Owner only, as the page itself."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Response, get, post
from litestar.params import FromPath, JSONBody, Parameter

from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.pages import Cursor, IfMatch, Limit, if_match_version, page_response
from mocheong_core.pages.ports import PageVersion
from mocheong_core.pages.revert import GetPageVersion, ListPageHistory, RevertPage
from mocheong_core.shared import CursorPage

VersionNumber = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]


class VersionOut(msgspec.Struct, omit_defaults=True):
    version: int
    by: str
    """``user``, ``agent`` or ``admin``."""
    changed: list[str]
    """The top-level document fields the change changed, plus ``slug`` and ``status``."""
    at: datetime
    agent: str | None = None
    """Which agent made the change, when one did."""
    reverts_to: int | None = None
    """The version whose content this one restored."""
    undoes: int | None = None
    """The agent's version this one undid."""


class VersionWithDocumentOut(VersionOut, omit_defaults=True):
    document: dict[str, Any] = msgspec.field(default_factory=dict)
    """The page's content as this version left it (the document without slug and status)."""


class HistoryOut(msgspec.Struct, omit_defaults=True):
    items: list[VersionOut]
    next: str | None = None
    """The cursor of the next (older) page; absent on the last one."""


class RevertIn(msgspec.Struct, forbid_unknown_fields=True):
    version: VersionNumber


def _fields(version: PageVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "by": version.by,
        "changed": list(version.changed),
        "at": version.at,
        "agent": version.agent,
        "reverts_to": version.reverts_to,
        "undoes": version.undoes,
    }


def history_out(result: CursorPage[PageVersion]) -> HistoryOut:
    return HistoryOut([VersionOut(**_fields(v)) for v in result.items], result.next_cursor)


class PageHistoryController(Controller):
    path = "/api/pages/{page_id:str}"
    tags = ["pages"]  # noqa: RUF012
    security = BEARER

    @get("/history")
    @inject
    async def page_history(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListPageHistory],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> HistoryOut:
        """The page's versions newest first: who made each change (``agent`` names which
        assistant) and the fields it changed. Versions made before the history was kept are
        not listed."""
        return history_out(await usecase(user, page_id, limit, cursor))

    @get("/history/{version:int}")
    @inject
    async def page_version(
        self,
        page_id: FromPath[str],
        version: Annotated[int, Parameter(ge=1, le=2**31 - 1)],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[GetPageVersion],
    ) -> VersionWithDocumentOut:
        """One kept version with the content it left (404 when it is not kept)."""
        found = await usecase(user, page_id, version)
        return VersionWithDocumentOut(**_fields(found), document=found.document)

    @post("/revert", status_code=200)
    @inject
    async def revert_page(
        self,
        page_id: FromPath[str],
        data: JSONBody[RevertIn],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[RevertPage],
        if_match: IfMatch = None,
    ) -> Response[dict[str, Any]]:
        """Makes a new version whose content is that of ``version`` (slug and status stay),
        validated like a PATCH; returns the page with its ETag. Reverting to the content the
        page already has changes nothing."""
        page = await usecase(
            user, page_id, data.version, expected_version=if_match_version(if_match), by="user"
        )
        return page_response(page)
