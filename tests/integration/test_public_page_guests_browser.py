"""What guests do most on a phone (390×844, 3× pixels), in Debian's Chromium through
Playwright: open a gallery photo large, move between photos by key, button and swipe, zoom
with two fingers, close with Esc and land back on the photo; copy an account and the address
with the clipboard API denied (as in KakaoTalk's in-app browser), by selection, then by hand
when even that is refused; find the transfer links beside 복사. axe-core finds no serious or
critical problem with the viewer open or closed, and the strict CSP reports nothing.

``MOCHEONG_PAGE_SCREENSHOTS=1`` also writes the phone screenshots of docs/pages.md to
``docs/pages/`` (off by default, so a test run leaves the tree clean).
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.async_api import Browser, Page, expect

from tests.integration.browser_support import (
    PHONE,
    api,
    axe_violations,
    browser,
    chromium,
    collect_problems,
    server,
)
from tests.integration.pages_helpers import COMPLETE_DOCUMENT

pytestmark = pytest.mark.browser
__all__ = ["api", "browser", "chromium", "server"]  # fixtures, used by name
expect.set_options(timeout=20_000)  # a hang guard for a loaded machine, not a timed assertion

SHOTS = Path(__file__).parents[2] / "docs" / "pages"
ACCOUNT = {
    "relation": "groom",
    "bank": "국민은행",
    "holder": "김민준",
    "number": "123-45-6789",
    "kakaopay_url": "https://qr.kakaopay.com/Ej8xyz123",
    "toss": True,
}
COLORS = ("#c0392b", "#2e86c1", "#229954")


def photo(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), color).save(out, format="JPEG")
    return out.getvalue()


async def published_page(api: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    """A published page with three photos (their web copies made) and a gift account."""
    email = f"guests-{id(api)}-{asyncio.get_running_loop().time()}@example.com"
    registered = await api.post(
        "/api/auth/register", json={"email": email, "password": "correct horse", "name": "민준"}
    )
    assert registered.status_code == 201, registered.text
    owner = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    ids = []
    for color in COLORS:
        files = {"file": ("p.jpg", photo(color), "image/jpeg")}
        uploaded = await api.post("/api/files", files=files, headers=owner)
        assert uploaded.status_code == 201, uploaded.text
        ids.append(uploaded.json()["id"])
    for file_id in ids:  # the in-process queue makes the web copies in the background
        for _ in range(400):
            if (await api.get(f"/api/files/{file_id}", headers=owner)).json()["variants"]:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the photos' web copies were never made")
    document = {**COMPLETE_DOCUMENT, "gallery": ids, "gift_accounts": [ACCOUNT], **extra}
    created = await api.post("/api/pages", json=document, headers=owner)
    assert created.status_code == 201, created.text
    page = created.json()
    assert (await api.post(f"/api/pages/{page['id']}/publish", headers=owner)).status_code == 200
    return dict(page)


async def phone_without_clipboard(browser: Browser, server: str) -> tuple[Page, list[str]]:
    """A phone whose browser refuses the clipboard API to the page, as in-app browsers do."""
    context = await browser.new_context(
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        locale="ko-KR",
        base_url=server,
    )
    page = await context.new_page()
    target = await (await context.new_cdp_session(page)).send("Target.getTargetInfo")
    session = await browser.new_browser_cdp_session()
    descriptors = [
        {"name": "clipboard-read"},
        {"name": "clipboard-write"},  # writeText's sanitized write
        {"name": "clipboard-write", "allowWithoutSanitization": True},
    ]
    for descriptor in descriptors:
        await session.send(
            "Browser.setPermission",
            {
                "permission": descriptor,
                "setting": "denied",
                "origin": server,
                "browserContextId": target["targetInfo"]["browserContextId"],
            },
        )
    return page, collect_problems(page)


async def shot(page: Page, name: str) -> None:
    if os.environ.get("MOCHEONG_PAGE_SCREENSHOTS") == "1":
        SHOTS.mkdir(exist_ok=True)
        await page.screenshot(path=SHOTS / f"phone-{name}.png")


async def no_serious_findings(page: Page) -> None:
    assert await axe_violations(page, ("serious", "critical")) == []


async def test_the_gallery_viewer_on_a_phone(
    browser: Browser, server: str, api: httpx.AsyncClient
) -> None:
    created = await published_page(api)
    page, problems = await phone_without_clipboard(browser, server)
    await page.goto(f"/i/{created['slug']}")

    thumbs = page.locator("#gallery .gallery a")
    await expect(thumbs).to_have_count(3)
    await thumbs.first.scroll_into_view_if_needed()
    # A 3x phone takes the 480 px copies for the thumbnails, never the 1280 px ones.
    sources = await page.eval_on_selector_all(
        "#gallery img", "imgs => imgs.map(i => i.currentSrc || i.src)"
    )
    assert all("/w480.webp" in src for src in sources), sources
    await shot(page, "gallery-grid")
    await no_serious_findings(page)

    viewer = page.locator("#viewer")
    count = page.locator("#viewer-count")
    await thumbs.first.click()
    await expect(viewer).to_be_visible()
    await expect(count).to_have_text("1 / 3")
    await expect(page.locator("#viewer .viewer-close")).to_be_focused()
    await expect(page.locator("#viewer-image")).to_have_attribute("alt", "사진 1 / 3")
    assert "/w1280.webp" in str(await page.locator("#viewer-image").get_attribute("src"))
    await no_serious_findings(page)
    await shot(page, "gallery-viewer")

    await page.keyboard.press("ArrowRight")
    await expect(count).to_have_text("2 / 3")
    await page.locator("#viewer .viewer-next").click()
    await expect(count).to_have_text("3 / 3")
    await page.locator("#viewer .viewer-next").click()  # around to the first
    await expect(count).to_have_text("1 / 3")
    await page.keyboard.press("ArrowLeft")
    await expect(count).to_have_text("3 / 3")

    # A swipe to the left shows the next photo; to the right, the one before.
    await swipe(page, -160)
    await expect(count).to_have_text("1 / 3")
    await swipe(page, 160)
    await expect(count).to_have_text("3 / 3")

    # Two fingers apart zoom in; the photo stays until they let go, and swipes then pan.
    scale = await pinch(page, 100, 220)
    assert 2.0 <= scale <= 2.4, scale
    await swipe(page, -160)
    await expect(count).to_have_text("3 / 3")

    await page.keyboard.press("Escape")
    await expect(viewer).to_be_hidden()
    assert await page.evaluate(
        "document.activeElement === document.querySelectorAll('#gallery .gallery a')[0]"
    )
    assert problems == []


async def swipe(page: Page, dx: int) -> None:
    await page.mouse.move(195, 420)
    await page.mouse.down()
    await page.mouse.move(195 + dx / 2, 422)
    await page.mouse.move(195 + dx, 424)
    await page.mouse.up()


async def pinch(page: Page, start: int, end: int) -> float:
    """Two touch pointers moving apart from ``start`` to ``end`` px; the photo's scale."""
    return float(
        await page.evaluate(
            """([start, end]) => {
              const stage = document.querySelector('#viewer .viewer-stage');
              const fire = (type, id, x) => stage.dispatchEvent(new PointerEvent(type, {
                pointerId: id, pointerType: 'touch', clientX: x, clientY: 420, bubbles: true}));
              fire('pointerdown', 11, 195 - start / 2);
              fire('pointerdown', 12, 195 + start / 2);
              fire('pointermove', 11, 195 - end / 2);
              fire('pointermove', 12, 195 + end / 2);
              fire('pointerup', 11, 195 - end / 2);
              fire('pointerup', 12, 195 + end / 2);
              return new DOMMatrix(getComputedStyle(document.querySelector('#viewer-image'))
                .transform).a;
            }""",
            [start, end],
        )
    )


async def test_copy_works_with_the_clipboard_api_denied(
    browser: Browser, server: str, api: httpx.AsyncClient
) -> None:
    created = await published_page(api, gallery_view={"layout": "slide"})
    page, problems = await phone_without_clipboard(browser, server)
    await page.goto(f"/i/{created['slug']}")
    assert (
        await page.evaluate("navigator.clipboard.writeText('x').then(() => 'written', e => e.name)")
        == "NotAllowedError"
    )
    # What a copy command copies: the selected part of the field it was given.
    await page.evaluate(
        """document.addEventListener('copy', (e) => {
             const f = e.target;
             window.copied = f.value.substring(f.selectionStart, f.selectionEnd);
           })"""
    )

    await page.locator("#gift_accounts summary").first.click()
    account = page.locator("#gift_accounts .account").first
    await account.locator("button[data-copy]").click()
    await expect(page.locator("#copied")).to_have_text("복사되었습니다")
    await expect(page.locator("#copied")).to_be_visible()
    assert await page.evaluate("window.copied") == "국민은행 123-45-6789"
    kakaopay = account.locator("a.kakaopay")
    await expect(kakaopay).to_have_attribute("href", "https://qr.kakaopay.com/Ej8xyz123")
    await expect(account.locator("a.toss")).to_have_attribute(
        "href",
        "supertoss://send?bank=%EA%B5%AD%EB%AF%BC%EC%9D%80%ED%96%89&accountNo=123456789&origin=qr",
    )
    await shot(page, "gift-accounts")

    # Where even the copy command is refused, the text is shown selected for a long press.
    await page.evaluate("document.execCommand = () => false")
    address = page.locator("#venue button[data-copy]")
    await address.scroll_into_view_if_needed()
    await address.click()
    sheet = page.locator("#copy-sheet")
    await expect(sheet).to_be_visible()
    field = page.locator("#copy-sheet-text")
    await expect(field).to_have_value("서울 강남구 선릉로 757")
    await expect(field).to_be_focused()
    assert await page.evaluate(
        "[document.activeElement.selectionStart, document.activeElement.selectionEnd]"
    ) == [0, len("서울 강남구 선릉로 757")]
    await no_serious_findings(page)
    await shot(page, "copy-by-hand")
    await page.locator("#copy-sheet-close").click()
    await expect(sheet).to_be_hidden()
    await expect(address).to_be_focused()

    # The slide layout: one photo at a time, the first not lazily loaded.
    gallery = page.locator("#gallery .gallery.slide")
    await gallery.scroll_into_view_if_needed()
    await expect(gallery.locator("a")).to_have_count(3)
    await shot(page, "gallery-slide")
    share = page.locator("#share")
    await share.scroll_into_view_if_needed()
    await expect(share.locator("button[data-copy]")).to_have_count(2)
    await no_serious_findings(page)
    assert problems == []
