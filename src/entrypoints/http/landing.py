"""``GET /``: the front door, in Korean and English, linking what this server offers.

The studio is linked only when this app has a ``/studio`` route, so the page never shows a
dead link; everything else it links is always served (see ``test_landing.py``).
"""

from __future__ import annotations

from html import escape
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from litestar import Request, Response, get

from entrypoints.http.static_files import static_url

STUDIO = "/studio"
# Its own policy: the page loads one stylesheet and one icon of this origin, nothing else.
LANDING_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
LINKS = (
    (STUDIO, "스튜디오", "Studio: make an invitation by chatting"),
    ("/schema", "API 문서", "API reference (Scalar)"),
    ("/schema/swagger", "API 실행해 보기", "Try the API (Swagger UI)"),
    ("/schema/openapi.json", "OpenAPI 문서", "OpenAPI document (JSON)"),
    ("/health", "상태", "Health"),
)


def product_version() -> str:
    try:
        return version("mocheong")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def landing_links(paths: set[str]) -> list[tuple[str, str, str]]:
    """The links to show, given the paths the app serves."""
    return [link for link in LINKS if link[0] != STUDIO or STUDIO in paths]


def landing_html(paths: set[str]) -> str:
    items = "".join(
        f"<li><a href='{escape(href)}'><span lang='ko'>{escape(ko)}</span>"
        f"<span lang='en'>{escape(en)}</span></a></li>"
        for href, ko, en in landing_links(paths)
    )
    return (
        "<!DOCTYPE html><html lang='ko'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>모청 Mocheong</title>"
        f"<link rel='icon' href='{static_url('favicon.svg')}' type='image/svg+xml'>"
        f"<link rel='stylesheet' href='{static_url('landing.css')}'></head><body><main>"
        "<h1>모청 <span lang='en'>Mocheong</span></h1>"
        "<p>대화로 만드는 모바일 청첩장 서비스의 서버입니다.</p>"
        "<p lang='en'>The server of a mobile wedding invitation service whose pages are made "
        "by chatting.</p>"
        f"<ul>{items}</ul>"
        f"<p class='version'>버전 <span lang='en'>version</span> "
        f"<code>{escape(product_version())}</code></p>"
        "</main></body></html>"
    )


@get("/", include_in_schema=False, sync_to_thread=False)
def landing(request: Request[Any, Any, Any]) -> Response[str]:
    paths = {route.path for route in request.app.routes}
    return Response(
        landing_html(paths),
        media_type="text/html",
        headers={"content-security-policy": LANDING_CSP},
    )
