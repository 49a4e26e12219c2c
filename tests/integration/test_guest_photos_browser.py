"""The guests' photo album on a phone (390×844), in Debian's Chromium through Playwright: a
guest sends a photo from the invitation (a refusal first, said in Korean), the couple approves
it in the studio's 하객 tab, and the photo appears on the guests' page. axe-core finds no
serious or critical problem on either page, and the strict CSPs report nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.files_support import image_bytes, noise_png
from tests.integration.browser_support import (
    CSP_PROBE,
    api,
    browser,
    chromium,
    phone,
    serious_findings,
    server,
)
from tests.integration.pages_helpers import COMPLETE_DOCUMENT
from tests.integration.test_public_page_guests_browser import no_serious_findings, shot

pytestmark = pytest.mark.browser
__all__ = ["api", "browser", "chromium", "server"]  # fixtures, used by name
expect.set_options(timeout=30_000)  # a hang guard for a loaded machine, not a timed assertion
PASSWORD = "correct horse"


async def premium_album(api: httpx.AsyncClient) -> tuple[dict[str, Any], str]:
    """A published premium page with the album on, and its owner's email."""
    email = f"album-{asyncio.get_running_loop().time()}@example.com"
    registered = await api.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "민준"}
    )
    assert registered.status_code == 201, registered.text
    owner = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    page = (await api.post("/api/pages", json=COMPLETE_DOCUMENT, headers=owner)).json()
    order = (await api.post("/api/payments/orders", headers=owner, json={
        "product_code": "premium", "page_id": page["id"]})).json()  # fmt: skip
    paid = await api.post(f"/api/payments/orders/{order['order_id']}/complete",
                          json={"payment_id": order["payment_id"]}, headers=owner)  # fmt: skip
    assert paid.json()["status"] == "paid", paid.text
    on = await api.patch(
        f"/api/pages/{page['id']}", json={"guest_photos": {"enabled": True}}, headers=owner
    )
    assert on.status_code == 200, on.text
    assert (await api.post(f"/api/pages/{page['id']}/publish", headers=owner)).status_code == 200
    return dict(page), email


async def test_a_guest_sends_a_photo_the_couple_approves_it_and_guests_see_it(
    browser: Browser, server: str, api: httpx.AsyncClient, tmp_path: Any
) -> None:
    created, email = await premium_album(api)
    guest, problems = await phone(browser, server)
    await guest.goto(f"/i/{created['slug']}")

    album = guest.locator("#album")
    await album.scroll_into_view_if_needed()
    await expect(album.get_by_text("아직 올라온 사진이 없어요")).to_be_visible()
    await no_serious_findings(guest)

    # Too big for the album (checked on the phone before anything is sent).
    big = tmp_path / "big.png"
    big.write_bytes(noise_png(2200, 2200))
    await album.get_by_label("사진 (한 장에").set_input_files(str(big))
    await album.get_by_role("button", name="사진 보내기").click()
    await expect(guest.locator("#album-error")).to_contain_text("사진이 너무 커요")

    photo = tmp_path / "wedding.jpg"
    photo.write_bytes(image_bytes("JPEG", (640, 480)))
    await album.get_by_label("사진 (한 장에").set_input_files(str(photo))
    await album.get_by_label("보내는 분 (선택)").fill("이모")
    await album.get_by_role("button", name="사진 보내기").click()
    await expect(guest.locator("#album-done")).to_be_visible()
    await expect(guest.locator("#album-error")).to_be_empty()
    await no_serious_findings(guest)
    await shot(guest, "album-sent")

    # The couple, signed in to the studio on their phone, approves it in the 하객 tab.
    couple, couple_problems = await phone(browser, server)
    await couple.context.add_init_script(CSP_PROBE)
    await couple.goto("/studio")
    await couple.get_by_label("이메일").fill(email)
    await couple.get_by_label("비밀번호").fill(PASSWORD)
    await couple.get_by_role("button", name="로그인", exact=True).click()
    await expect(couple.get_by_role("button", name="새 청첩장")).to_be_visible()
    await couple.goto(f"/studio#/p/{created['id']}/guests")
    moderation = couple.locator("section.album")
    await expect(moderation.get_by_role("heading", name="확인을 기다리는 사진 · 1")).to_be_visible()
    await expect(moderation.get_by_label("하객이 사진을 보낼 수 있게 하기")).to_be_checked()
    assert await serious_findings(couple) == []
    await moderation.get_by_role("button", name="승인: 이모님이 보낸 사진").click()
    await expect(moderation.get_by_role("heading", name="앨범에 공개된 사진 · 1")).to_be_visible()
    await expect(moderation.get_by_role("heading", name="확인을 기다리는 사진 · 0")).to_be_visible()
    assert await couple.evaluate("window.__csp") == []

    # The approved photo is on the guests' page (its cached copy was dropped).
    await guest.reload()
    shown = guest.locator("#album-photos img")
    await expect(shown).to_have_count(1)
    await expect(shown.first).to_have_attribute("alt", "이모님이 보낸 사진")
    await shown.first.scroll_into_view_if_needed()
    assert await shown.first.evaluate("img => img.complete && img.naturalWidth > 0")
    await no_serious_findings(guest)
    await shot(guest, "album")
    assert problems == []
    assert couple_problems == []
