"""``HEAD`` on what guests and their messengers fetch (a scraper asks ``HEAD`` before ``GET``):
the published page, its share JPEG, its calendar file, the studio, the landing page and the
static files answer as ``GET`` does, status and headers alike, without a body — in the test
client and on uvicorn."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings
from tests.integration.accounts_http import Client
from tests.integration.browser_support import serve_in_thread
from tests.integration.test_public_page_http import Page, published, settings

__all__ = ["settings"]  # a fixture, used by name

# What must be the same in a HEAD's answer as in the GET's.
SAME = ("content-type", "content-length", "cache-control", "etag", "content-security-policy")


def same_but_the_body(got: httpx.Response, head: httpx.Response) -> None:
    assert head.status_code == got.status_code, (head.request.url, head.status_code)
    assert head.content == b""
    for name in SAME:
        assert head.headers.get(name) == got.headers.get(name), name


async def public_paths(client: Client) -> list[str]:
    page, _ = await published(client)
    slug = page["slug"]
    html = await client.get(f"/i/{slug}")
    share = urlsplit(Page(html.text).meta["og:image"]).path
    return [
        f"/i/{slug}",
        share,
        f"/i/{slug}/calendar.ics",
        "/i/no-such-page",
        "/",
        "/studio",
        "/static/mocheong-client.js",
    ]


async def test_head_answers_like_get_without_the_body(client: Client) -> None:
    for path in await public_paths(client):
        got = await client.get(path)
        assert got.status_code in (200, 404), (path, got.status_code)
        same_but_the_body(got, await client.head(path))


async def test_an_old_share_image_name_redirects_on_head_too(client: Client) -> None:
    page, _ = await published(client)
    old = f"/i/{page['slug']}/share-0000000000000000.jpg"
    got = await client.get(old, follow_redirects=False)
    head = await client.head(old, follow_redirects=False)
    assert got.status_code == 302
    same_but_the_body(got, head)
    assert head.headers["location"] == got.headers["location"]


async def test_the_api_keeps_its_declared_methods(client: Client) -> None:
    """The chat's SSE stream would never end for a HEAD turned GET: /api/ answers 405."""
    head = await client.head("/api/chat/sessions/any/stream")
    assert head.status_code == 405


@pytest.mark.parametrize("path_of", ["page", "share"])
async def test_head_on_uvicorn(settings: Settings, path_of: str) -> None:
    async with AsyncTestClient(create_app(settings)) as client:
        paths = await public_paths(client)
    path = paths[0] if path_of == "page" else paths[1]
    with serve_in_thread(create_app(settings)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as server:
            for coding in ("identity", "br"):  # the length HEAD gives is the coding's own
                coded = {"accept-encoding": coding}
                got = await server.get(path, headers=coded)
                head = await server.head(path, headers=coded)
                assert got.status_code == 200
                sent = got.headers.get("content-encoding", "identity")
                assert int(head.headers["content-length"]) == got.num_bytes_downloaded > 0
                assert head.headers.get("content-encoding", "identity") == sent
                same_but_the_body(got, head)
