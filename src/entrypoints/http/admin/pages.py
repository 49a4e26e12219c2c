"""Moderation of pages: every page of every owner, and taking a published one offline."""

from __future__ import annotations

from typing import Annotated, Any

from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Response, get, post
from litestar.params import FromPath, Parameter

from entrypoints.http.api.pages import Cursor, Limit, page_list, page_response
from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.closed_sets import describe
from mocheong_core.pages.model import PageStatus
from mocheong_core.pages.usecases import AdminListPages, AdminUnpublishPage


class AdminPagesController(Controller):
    path = "/api/admin/pages"
    tags = ["admin"]  # noqa: RUF012
    security = BEARER

    @get("/")
    @inject
    async def list_all_pages(
        self,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[AdminListPages],
        limit: Limit = 20,
        cursor: Cursor = None,
        status: Annotated[PageStatus | None, Parameter(description=describe(PageStatus))] = None,
    ) -> dict[str, Any]:
        return page_list(await usecase(user, limit=limit, cursor=cursor, status=status))

    @post("/{page_id:str}/unpublish", status_code=200)
    @inject
    async def moderate_page(
        self,
        page_id: FromPath[str],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[AdminUnpublishPage],
    ) -> Response[dict[str, Any]]:
        """Moderation: takes any published page offline."""
        return page_response(await usecase(user, page_id))
