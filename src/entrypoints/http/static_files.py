"""``/static``: the product's own files (the guests' page's fonts, the favicon, the landing
page's style, the chat client, the API viewers' vendored scripts), served from memory by
``assets.AssetSet``: compressed once, tagged, ``304`` on a match.

A link the product writes carries the file's content hash (``static_url``:
``/static/fonts/nanum-gothic.woff2?v=e3925f385982cc96``). Asked with its current hash, a file
is cached for a year (``immutable``): a new version has another address. Asked without it, or
with another (a link written by hand, the studio's import of the chat client, a page cached
before a deploy), it is cached for ``MOCHEONG_STATIC_MAX_AGE`` only.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Request, Response, route
from litestar.enums import HttpMethod
from litestar.params import FromPath, QueryParameter

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.assets import AssetSet
from entrypoints.http.encoding import Levels
from entrypoints.http.problems import problem

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
FOREVER = "public, max-age=31536000, immutable"
Version = Annotated[str | None, QueryParameter(name="v", max_length=64)]


@functools.cache
def static_assets() -> AssetSet:
    """Listed once per process; each file is read on its first request."""
    return AssetSet(STATIC_DIR)


def static_url(name: str) -> str:
    """The versioned address of the file ``name`` (``fonts/nanum-gothic.woff2``)."""
    asset = static_assets().get(name)
    if asset is None:
        raise LookupError(f"there is no static file {name!r}")
    return f"{STATIC_PATH}/{name}?v={asset.version}"


def file_levels(settings: Settings) -> Levels:
    """How hard the static and studio files are compressed (once each)."""
    return Levels(
        gzip=settings.public.gzip_level,
        brotli=settings.web.static_brotli_quality,
        min_size=settings.public.compress_min,
    )


@route(
    f"{STATIC_PATH}/{{name:path}}",
    http_method=[HttpMethod.GET, HttpMethod.HEAD],
    include_in_schema=False,
    name="static",
)
@inject
async def static_file(
    name: FromPath[str],
    request: Request[Any, Any, Any],
    settings: FromDishka[Settings],
    v: Version = None,
) -> Response[Any]:
    name = name.lstrip("/")
    assets = static_assets()
    asset = assets.get(name)
    if asset is None:
        return problem(404, "not_found", "Not Found", f"There is no static file {name!r}")
    current = v is not None and v == asset.version
    cache_control = FOREVER if current else f"public, max-age={settings.web.static_max_age}"
    return await assets.respond(asset, request, file_levels(settings), cache_control=cache_control)
