"""Jinja2 rendering of the guests' pages, with the Content Security Policy that goes with them.

Autoescaping is on for every template and nothing from a page is ever marked safe. The one
inline style and the one inline script are fixed files read once; the CSP allows exactly them
by their SHA-256 hashes, so the rendered bytes can be cached and shared (a per-response nonce
could not be) and an injected script would not run even if escaping ever failed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import attrs
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from entrypoints.http.public.view import PublicPageView
from entrypoints.http.static_files import STATIC_PATH, static_url
from mocheong_core.pages.guest_tools import toss_link

TEMPLATES = Path(__file__).parent / "templates"
# The page's one style and one script, each put together from these files in this order.
STYLES = ("public.css", "public_guests.css")
SCRIPTS = (
    "public.js",
    "public_copy.js",
    "public_gallery.js",
    "public_occasion.js",
    "public_album.js",
)
STATIC_LINK = re.compile(re.escape(STATIC_PATH) + r"/([\w./-]+)")


def versioned(text: str) -> str:
    """Every ``/static/…`` address in ``text`` with its file's content hash, so the browser
    keeps the file for a year and a new version is a new address."""
    return STATIC_LINK.sub(lambda found: static_url(found.group(1)), text)


def source_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@attrs.frozen
class Rendered:
    body: bytes
    csp: str


class PublicTemplates:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=StrictUndefined,
            auto_reload=False,
        )
        # JSON-LD stays readable Korean; ``tojson`` still escapes <, >, & and ' for HTML.
        self._env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
        self._env.globals["toss_link"] = toss_link
        self._env.globals["static"] = static_url
        css = versioned("".join((TEMPLATES / name).read_text() for name in STYLES))
        js = "".join((TEMPLATES / name).read_text() for name in SCRIPTS)
        # Markup only for these fixed files: escaping would change the bytes the hashes
        # name (and turn ``>`` in a selector into ``&gt;``).
        self._css, self._js = Markup(css), Markup(js)  # noqa: S704
        self._css_hash, self._js_hash = source_hash(css), source_hash(js)
        self._page = self._env.get_template("public_page.html.j2")
        self._notice = self._env.get_template("public_notice.html.j2")

    def page(self, view: PublicPageView, *, party_size_max: int) -> Rendered:
        body = self._page.render(v=view, css=self._css, js=self._js, party_size_max=party_size_max)
        csp = self._csp(
            view.asset_origins,
            script=True,
            frames=view.frame_origins,
            scripts=view.script_origins,
            connects=view.connect_origins,
        )
        return Rendered(body.encode(), csp)

    def notice(
        self,
        title: str,
        message: str,
        *,
        errors: Sequence[str] = (),
        back: str | None = None,
    ) -> Rendered:
        """A short page for a guest: not found, or the answer to a form sent without script."""
        body = self._notice.render(
            title=title, message=message, errors=errors, back=back, css=self._css
        )
        return Rendered(body.encode(), self._csp((), script=False))

    def _csp(
        self,
        origins: Sequence[str],
        *,
        script: bool,
        frames: Sequence[str] = (),
        scripts: Sequence[str] = (),
        connects: Sequence[str] = (),
    ) -> str:
        """``frames`` are the only origins the page may embed (its video player); without
        them ``frame-src`` falls back to ``default-src 'self'``. ``scripts`` are the origins
        of the Kakao SDKs a page with a Kakao key loads, beside its own inline script."""
        assets = " ".join(["'self'", *origins])
        connect_src = " ".join(["'self'", *connects])
        scripts_src = " ".join([self._js_hash, *scripts]) if script else "'none'"
        embeds = [f"frame-src {' '.join(frames)}"] if frames else []
        return "; ".join(
            [
                "default-src 'self'",
                f"script-src {scripts_src}",
                f"style-src {self._css_hash}",
                f"img-src {assets}",
                f"media-src {assets}",
                *embeds,
                f"connect-src {connect_src}",
                "form-action 'self'",
                "base-uri 'none'",
                "object-src 'none'",
                "frame-ancestors 'none'",
            ]
        )
