"""What a guest's phone downloads: the public page and its JSON brotli- or gzip-compressed as
the browser accepts (``Vary``, an ETag and a ``304`` per coding, ``HEAD``), the static files
compressed and, at their versioned address, cached for a year; and P9's budget: the page's
HTML, CSS and JavaScript at most 60 KB compressed, photos aside."""

from __future__ import annotations

import gzip
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import brotli
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.http.static_files import STATIC_DIR
from tests.conftest import make_settings
from tests.integration.accounts_http import Client
from tests.integration.test_public_occasion_http import OPTIONS
from tests.integration.test_public_page_http import published

P9_BUDGET = 60 * 1024
FOREVER = "public, max-age=31536000, immutable"


@pytest.fixture
async def client(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Client]:
    shutil.copy(sqlite_template, tmp_path / "mocheong.db")
    settings = make_settings(tmp_path, public_base_url="https://mocheong.example")
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


async def raw(client: Client, path: str, method: str = "GET", **headers: str) -> Any:
    """The answer with its body as sent (httpx would decode it)."""
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    sent.setdefault("accept-encoding", "identity")  # httpx would ask for gzip and br itself
    async with client.stream(method, path, headers=sent) as response:
        response.raw_body = b"".join([chunk async for chunk in response.aiter_raw()])
        return response


def decoded(response: Any) -> bytes:
    body: bytes = response.raw_body
    coding = response.headers.get("content-encoding")
    if coding == "br":
        return bytes(brotli.decompress(body))
    if coding == "gzip":
        return gzip.decompress(body)
    assert coding is None
    return body


@pytest.mark.parametrize("kind", ["html", "json"])
async def test_the_public_page_is_sent_in_the_coding_the_browser_accepts(
    client: Client, kind: str
) -> None:
    page, _ = await published(client, **OPTIONS)
    path = f"/i/{page['slug']}" if kind == "html" else f"/api/public/pages/{page['slug']}"
    plain = await raw(client, path, accept_encoding="identity")
    assert plain.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in plain.headers
    tags = {plain.headers["etag"]}
    for accept, coding in (("gzip, deflate, br, zstd", "br"), ("gzip, deflate", "gzip")):
        response = await raw(client, path, accept_encoding=accept)
        assert response.status_code == 200
        assert response.headers["content-encoding"] == coding
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"] == plain.headers["content-type"]
        assert int(response.headers["content-length"]) == len(response.raw_body)
        assert len(response.raw_body) < len(plain.raw_body) * 0.6
        assert decoded(response) == plain.raw_body
        tag = response.headers["etag"]
        tags.add(tag)
        again = await raw(client, path, accept_encoding=accept, if_none_match=tag)
        assert (again.status_code, again.raw_body) == (304, b"")
        assert again.headers["etag"] == tag
        assert again.headers["vary"] == "Accept-Encoding"
        head = await raw(client, path, "HEAD", accept_encoding=accept)
        assert (head.status_code, head.raw_body) == (200, b"")
        assert head.headers["content-length"] == response.headers["content-length"]
        assert head.headers["content-encoding"] == coding
    assert len(tags) == 3


async def test_the_page_html_css_and_script_stay_within_the_p9_budget(client: Client) -> None:
    page, _ = await published(client, **OPTIONS, greeting="저희 두 사람의 새 출발을 " * 20)
    html = await raw(client, f"/i/{page['slug']}", accept_encoding="gzip")
    text = decoded(html).decode()
    linked = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/[^"?]+\.(?:js|css)[^"]*)"', text)
    sizes = {"html": len(html.raw_body)}
    for link in linked:
        sizes[link] = len((await raw(client, link, accept_encoding="gzip")).raw_body)
    assert sum(sizes.values()) <= P9_BUDGET, sizes
    brotli_html = await raw(client, f"/i/{page['slug']}", accept_encoding="br")
    assert len(brotli_html.raw_body) < len(html.raw_body)


async def test_static_files_are_compressed_once_and_versioned_for_a_year(client: Client) -> None:
    page, _ = await published(client, text={"font": "myeongjo", "scale": 1})
    text = (await client.get(f"/i/{page['slug']}")).text
    fonts = re.findall(r"url\((/static/fonts/[\w.-]+\?v=[0-9a-f]{16})\)", text)
    favicon = re.search(r'href="(/static/favicon\.svg\?v=[0-9a-f]{16})"', text)
    assert len(fonts) == 2
    assert favicon is not None
    font = await raw(client, fonts[0], accept_encoding="br, gzip")
    assert font.status_code == 200
    assert font.headers["cache-control"] == FOREVER
    assert font.headers["content-type"] == "font/woff2"
    assert "content-encoding" not in font.headers  # woff2 is compressed already
    name = fonts[0].split("?")[0].removeprefix("/static/")
    assert font.raw_body == (STATIC_DIR / name).read_bytes()

    versioned = favicon.group(1)
    unversioned = versioned.split("?")[0]
    for path, cache_control in (
        (versioned, FOREVER),
        (unversioned, "public, max-age=300"),
        (unversioned + "?v=0123456789abcdef", "public, max-age=300"),  # not this version
    ):
        answer = await raw(client, path)
        assert answer.headers["cache-control"] == cache_control

    landing_css = (STATIC_DIR / "landing.css").read_bytes()
    plain = await raw(client, "/static/landing.css")
    assert plain.raw_body == landing_css
    for coding in ("br", "gzip"):
        response = await raw(client, "/static/landing.css", accept_encoding=coding)
        assert response.headers["content-encoding"] == coding
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["content-type"] == "text/css; charset=utf-8"
        assert decoded(response) == landing_css
        assert response.headers["etag"] != plain.headers["etag"]
        again = await raw(
            client,
            "/static/landing.css",
            accept_encoding=coding,
            if_none_match=response.headers["etag"],
        )
        assert (again.status_code, again.raw_body) == (304, b"")
        head = await raw(client, "/static/landing.css", "HEAD", accept_encoding=coding)
        assert (head.status_code, head.raw_body) == (200, b"")
        assert head.headers["content-length"] == str(len(response.raw_body))
    assert (await raw(client, "/static/../pyproject.toml")).status_code == 404
    assert (await raw(client, "/static/nothing.css")).status_code == 404


async def test_the_studio_files_are_compressed_and_revalidated(client: Client) -> None:
    plain = await raw(client, "/studio/js/workspace.js")
    response = await raw(client, "/studio/js/workspace.js", accept_encoding="br")
    assert response.headers["content-encoding"] == "br"
    assert response.headers["cache-control"] == "no-cache"
    assert "script-src" in response.headers["content-security-policy"]
    assert decoded(response) == plain.raw_body
    again = await raw(
        client,
        "/studio/js/workspace.js",
        accept_encoding="br",
        if_none_match=response.headers["etag"],
    )
    assert again.status_code == 304
