"""The couple's studio (``/studio``): a web app of plain ES modules that speaks only the public
API, served from ``src/mocheong_web/studio`` (shipped in the wheel beside the packages).

Besides its files this module serves what the browser cannot get through the API alone:
``/studio/preview/{page_id}``, the guests' page rendered from the draft for the studio's
preview frame. A frame cannot send an ``Authorization`` header, so the access token comes as
``?token=`` (as for the chat's SSE stream); the answer is never stored or sent as a referrer.
(The QR code of the public link is an API route: ``http/api/page_qr.py``.)

There is no build step: what is in the folder is what the browser runs. Each file is read once,
compressed once per coding (``http/assets.py``) and served with a strong ETag of its bytes and
``Cache-Control: no-cache``, so a deploy is seen at the next load and an unchanged file costs a
``304``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Request, Response, get
from litestar.params import FromPath, QueryParameter

import entrypoints
from entrypoints.bootstrap.settings import Settings
from entrypoints.http.assets import AssetSet
from entrypoints.http.fast.public_page import public_origin
from entrypoints.http.problems import problem
from entrypoints.http.public.render import PublicTemplates
from entrypoints.http.public.view import build_view
from entrypoints.http.static_files import file_levels
from entrypoints.http.statuses import status_of
from mocheong_core.accounts.usecases import Authenticate
from mocheong_core.agents.ports import Geocoder
from mocheong_core.errors import DomainError
from mocheong_core.files.usecases import ResolveFiles
from mocheong_core.kernel.clock import Clock
from mocheong_core.pages.usecases import GetPage

STUDIO_FILES = Path(entrypoints.__file__).resolve().parent.parent / "mocheong_web" / "studio"
KAKAO_SDK_ORIGIN = "https://t1.kakaocdn.net"
PORTONE_SDK_ORIGIN = "https://cdn.portone.io"
"""Where the vendored ``@portone/browser-sdk`` loads PortOne's payment window script from."""
Token = Annotated[str | None, QueryParameter(name="token", max_length=4096)]


def studio_csp(settings: Settings) -> str:
    """Scripts from the studio's own files only (plus Kakao's SDK when sharing is configured,
    and PortOne's payment window when payments go through PortOne); ``connect-src 'self'``
    covers the chat's WebSocket on the same host."""
    kakao = f" {KAKAO_SDK_ORIGIN}" if settings.web.kakao_js_key else ""
    portone = not settings.payments.uses_sandbox
    # The payment window is PortOne's frame, then the card company's or the PG's own pages,
    # whose origins depend on the channel: frames from any https origin, scripts only from
    # PortOne's CDN.
    scripts = kakao + (f" {PORTONE_SDK_ORIGIN}" if portone else "")
    connect = " https://*.kakao.com" if kakao else ""
    connect += " https://*.portone.io" if portone else ""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self'{scripts}",
            "style-src 'self'",
            "img-src 'self' data: blob: https:",
            "media-src 'self' blob: https:",
            f"connect-src 'self'{connect}",
            f"frame-src 'self'{' https:' if portone else ''}",
            "form-action 'self'",
            "base-uri 'none'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ]
    )


class StudioFiles:
    def __init__(self, root: Path = STUDIO_FILES) -> None:
        self.assets = AssetSet(root)

    async def response(
        self, name: str, request: Request[Any, Any, Any], settings: Settings
    ) -> Response[Any]:
        asset = self.assets.get(name)
        if asset is None:
            return problem(404, "not_found", "Not Found", f"The studio has no file {name!r}")
        return await self.assets.respond(
            asset,
            request,
            file_levels(settings),
            cache_control="no-cache",
            headers={"Content-Security-Policy": studio_csp(settings)},
        )


@functools.cache
def studio_files() -> StudioFiles:
    """Listed once per process; each file is read on its first request."""
    return StudioFiles()


@get(["/studio", "/studio/admin"], include_in_schema=False)
@inject
async def studio_index(
    request: Request[Any, Any, Any], settings: FromDishka[Settings]
) -> Response[Any]:
    """The app; at ``/studio/admin`` it opens the admin console instead of the couple's
    screens."""
    return await studio_files().response("index.html", request, settings)


@get("/studio/config.json", include_in_schema=False)
@inject
async def studio_config(settings: FromDishka[Settings]) -> Response[dict[str, Any]]:
    """What the studio needs to know of this deployment: only public values."""
    config = {
        "kakao_js_key": settings.web.kakao_js_key,
        "payments": "sandbox" if settings.payments.uses_sandbox else "portone",
        "gallery_free_max": settings.pages.free_gallery_max,
        "gallery_max": settings.pages.gallery_max,
    }
    return Response(config, headers={"Cache-Control": "no-store"})


@get("/studio/{name:path}", include_in_schema=False)
@inject
async def studio_file(
    name: FromPath[str], request: Request[Any, Any, Any], settings: FromDishka[Settings]
) -> Response[Any]:
    return await studio_files().response(name.lstrip("/") or "index.html", request, settings)


@get("/studio/preview/{page_id:str}", include_in_schema=False)
@inject
async def studio_preview(
    page_id: FromPath[str],
    request: Request[Any, Any, Any],
    authenticate: FromDishka[Authenticate],
    pages: FromDishka[GetPage],
    files: FromDishka[ResolveFiles],
    templates: FromDishka[PublicTemplates],
    clock: FromDishka[Clock],
    settings: FromDishka[Settings],
    geocoder: FromDishka[Geocoder],
    token: Token = None,
) -> Response[Any]:
    """The page as its guests will see it, drafts included, for the studio's frame only."""
    private = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    try:
        if token is None:
            return problem(401, "unauthorized", "Unauthorized", "Pass the access token as ?token=")
        user = await authenticate(token)
        page = await pages(user, page_id)
    except DomainError as exc:
        return problem(status_of(exc), exc.code, exc.title, exc.detail)
    content = page.content
    ids = [content.cover_file_id, content.share.image_file_id, content.music.file_id]
    resolved = await files([i for i in [*ids, *content.gallery] if i])
    view = build_view(
        page,
        resolved,
        [],
        None,
        origin=public_origin(settings, request.scope),
        now=clock.now(),
        map_credit=geocoder.attribution,
    )
    rendered = templates.page(view, party_size_max=settings.pages.rsvp_party_size_max)
    # The studio (same origin) may frame it; nobody else may.
    csp = rendered.csp.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
    return Response(
        rendered.body,
        media_type="text/html",
        headers={**private, "Content-Security-Policy": csp, "X-Frame-Options": "SAMEORIGIN"},
    )
