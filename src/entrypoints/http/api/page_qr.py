"""The page's public link (``/i/{slug}``) as an SVG QR code, drawn by segno (pure Python), for
the studio's share screen. Owner only, as the page itself."""

from __future__ import annotations

import io
from typing import Any

import segno
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Request, Response, get
from litestar.params import FromPath

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.fast.public_page import public_origin
from mocheong_core.pages.usecases import GetPage


@get("/api/pages/{page_id:str}/qr.svg", tags=["pages"], security=BEARER)
@inject
async def page_qr(
    page_id: FromPath[str],
    request: Request[Any, Any, Any],
    user: FromDishka[CurrentUser],
    pages: FromDishka[GetPage],
    settings: FromDishka[Settings],
) -> Response[bytes]:
    """The page's public link (``/i/{slug}``) as an SVG QR code."""
    page = await pages(user, page_id)
    url = f"{public_origin(settings, request.scope)}/i/{page.slug}"
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=8, border=2, title=url)
    return Response(
        out.getvalue(), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )
