"""Sharing the invitation from a phone, in Debian's Chromium, offline: with the service's Kakao
key the page loads Kakao's JavaScript SDK (its URL routed to a small fake with the calls the
page makes: ``Kakao.init``, ``isInitialized``, ``Share.sendDefault``), initialises it with the
key and sends a feed whose title, image (the page's share JPEG) and links are the page's; when
the SDK cannot load, the button copies the link. Without a key there is no KakaoTalk button,
and 공유하기 opens the phone's share sheet, or copies the link where there is none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect

from entrypoints.http.public.view import KAKAO_SHARE_SDK
from mocheong_core.kernel.ids import new_id
from tests.integration.browser_support import (
    api,
    browser,
    browser_settings,
    chromium,
    phone,
    running,
    server,
)
from tests.integration.pages_helpers import COMPLETE_DOCUMENT
from tests.integration.test_public_page_http import Page as HtmlPage

pytestmark = pytest.mark.browser
__all__ = ["api", "browser", "chromium", "server"]  # fixtures, used by name
expect.set_options(timeout=20_000)  # a hang guard for a loaded machine, not a timed assertion

KAKAO_KEY = "0123456789abcdef0123456789abcdef"
FAKE_SDK = """
window.kakaoCalls = {inits: [], shares: []};
window.Kakao = {
  key: null,
  init: function (key) { this.key = key; window.kakaoCalls.inits.push(key); },
  isInitialized: function () { return this.key !== null; },
  Share: {sendDefault: function (payload) { window.kakaoCalls.shares.push(payload); }}
};
"""


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    """The app with a Kakao JavaScript key, as a service with KakaoTalk sharing runs."""
    settings = browser_settings(tmp_path_factory, sqlite_template, kakao_js_key=KAKAO_KEY)
    with running(settings) as base_url:
        yield base_url


async def published(base_url: str) -> str:
    """A published page's path (no photos: its share image is the product's default)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:
        registered = await client.post(
            "/api/auth/register",
            json={"email": f"{new_id()}@example.com", "password": "correct horse", "name": "민준"},
        )
        assert registered.status_code == 201, registered.text
        owner = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        created = await client.post("/api/pages", json=COMPLETE_DOCUMENT, headers=owner)
        assert created.status_code == 201, created.text
        page = created.json()
        published = await client.post(f"/api/pages/{page['id']}/publish", headers=owner)
        assert published.status_code == 200, published.text
        return f"/i/{page['slug']}"


async def kakao_sdk(route: Route) -> None:
    await route.fulfill(status=200, content_type="text/javascript", body=FAKE_SDK)


async def offline(route: Route) -> None:
    await route.abort()


async def test_kakaotalk_share_initialises_the_sdk_with_the_key_and_sends_the_page(
    browser: Browser, keyed_server: str
) -> None:
    path = await published(keyed_server)
    page, problems = await phone(browser, keyed_server)
    await page.route(KAKAO_SHARE_SDK, kakao_sdk)
    await page.route("https://dapi.kakao.com/**", offline)  # Kakao Map's SDK: not this test's
    await page.goto(path)
    html = HtmlPage(await page.content())
    button = page.locator("#kakao-share")
    await button.scroll_into_view_if_needed()  # the SDK loads when the button comes near
    await page.wait_for_function("() => window.kakaoCalls && window.kakaoCalls.inits.length > 0")
    await button.click()
    calls: dict[str, Any] = await page.evaluate("() => window.kakaoCalls")

    assert calls["inits"] == [KAKAO_KEY]
    assert len(calls["shares"]) == 1
    sent = calls["shares"][0]
    url = f"{keyed_server}{path}"
    link = {"mobileWebUrl": url, "webUrl": url}
    assert sent["objectType"] == "feed"
    assert sent["content"]["title"] == html.meta["og:title"] == "김민준 ♥ 이서연 결혼합니다"
    assert sent["content"]["description"] == html.meta["og:description"]
    assert sent["content"]["imageUrl"] == html.meta["og:image"]
    assert sent["content"]["link"] == link
    assert sent["buttons"] == [{"title": "청첩장 보기", "link": link}]
    async with httpx.AsyncClient() as scraper:  # fetched anonymously, as Kakao's scraper does
        image = await scraper.get(sent["content"]["imageUrl"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert problems == []


async def test_kakaotalk_share_copies_the_link_when_the_sdk_cannot_load(
    browser: Browser, keyed_server: str
) -> None:
    path = await published(keyed_server)
    page, _ = await phone(browser, keyed_server)
    await page.route(KAKAO_SHARE_SDK, offline)
    await page.route("https://dapi.kakao.com/**", offline)
    await page.goto(path)
    button = page.locator("#kakao-share")
    await button.scroll_into_view_if_needed()
    await button.click()
    await expect(page.locator("#copied")).to_have_text("복사되었습니다")
    assert await page.evaluate("() => navigator.clipboard.readText()") == keyed_server + path
    assert await page.evaluate("() => typeof window.Kakao") == "undefined"


async def shared_from(page: Page, path: str, init_script: str) -> None:
    await page.add_init_script(init_script)
    await page.goto(path)
    assert await page.locator("#kakao-share").count() == 0
    await page.get_by_role("button", name="공유하기").click()


async def test_without_a_key_share_opens_the_share_sheet_or_copies_the_link(
    browser: Browser, server: str
) -> None:
    path = await published(server)
    requested: list[str] = []
    page, problems = await phone(browser, server)
    page.on("request", lambda request: requested.append(request.url))
    await shared_from(
        page,
        path,
        "navigator.share = function (data) { window.sharedWith = data;"
        " return Promise.resolve(); };",
    )
    shared = await page.evaluate("() => window.sharedWith")
    assert shared["url"] == server + path
    assert shared["title"] == await page.title()
    assert not [url for url in requested if "kakao" in url]

    page, _ = await phone(browser, server)
    await shared_from(page, path, "delete Navigator.prototype.share;")
    await expect(page.locator("#copied")).to_have_text("복사되었습니다")
    assert await page.evaluate("() => navigator.clipboard.readText()") == server + path
    assert problems == []
