"""The OpenAPI viewers, served from the product itself.

Litestar's render plugins load Scalar and Swagger UI from public CDNs and start them with an
inline script, so on a machine without internet, or under a CSP that allows only this origin,
the viewers were blank. These render the same viewers from files vendored from the npm
registry at pinned versions (``static/vendor/vendor.json``: the tarball's integrity and each
file's sha256, written by ``tools/vendor_npm.py``) and start them from a script file of ours.
"""

from __future__ import annotations

from html import escape
from typing import Any

from litestar import Request
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from entrypoints.http.static_files import static_url


def _page(title: str, head: str, body: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>"
        f"<link rel='icon' href='{static_url('favicon.svg')}' type='image/svg+xml'>"
        f"{head}</head><body>{body}</body></html>"
    ).encode()


class LocalScalar(ScalarRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        url = escape(self.get_openapi_json_route(request))
        return _page(
            openapi_schema["info"]["title"],
            "",
            f"<noscript>The API reference needs JavaScript.</noscript>"
            f"<div id='scalar-reference' data-url='{url}'></div>"
            f"<script src='{static_url('vendor/scalar/standalone.js')}'></script>"
            f"<script src='{static_url('viewers/scalar-init.js')}'></script>",
        )


class LocalSwagger(SwaggerRenderPlugin):
    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        url = escape(self.get_openapi_json_route(request))
        vendor = "vendor/swagger-ui"
        return _page(
            openapi_schema["info"]["title"],
            f"<link rel='stylesheet' href='{static_url(vendor + '/swagger-ui.css')}'>",
            f"<div id='swagger-ui' data-url='{url}'></div>"
            f"<script src='{static_url(vendor + '/swagger-ui-bundle.js')}'></script>"
            f"<script src='{static_url(vendor + '/swagger-ui-standalone-preset.js')}'></script>"
            f"<script src='{static_url('viewers/swagger-init.js')}'></script>",
        )
