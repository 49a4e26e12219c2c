"""A guest's phone, for real: headless Chromium (Debian's ``chromium``) driven by Playwright
opens a published invitation served by uvicorn on 127.0.0.1 (SQLite), sees every section,
answers the RSVP, signs and deletes a guestbook entry, and copies a gift account; the owner's
API then shows what was stored. The page's strict CSP must let its own style and script run
and report no violation."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.integration.browser_support import PHONE, api, browser, chromium, phone, server
from tests.integration.pages_helpers import COMPLETE_DOCUMENT

pytestmark = pytest.mark.browser
__all__ = ["api", "browser", "chromium", "server"]  # fixtures, used by name
# A hang guard for a loaded machine (the default is 5 s), not a timed assertion.
expect.set_options(timeout=20_000)

SECTIONS = [
    "cover", "greeting", "couple", "calendar", "venue", "gift_accounts", "rsvp", "guestbook"
]  # fmt: skip
EXTRA: dict[str, Any] = {
    "gift_accounts": [
        {"relation": "groom", "bank": "국민은행", "holder": "김민준", "number": "123-45-6789"}
    ],
    "rsvp": {"enabled": True, "ask_meal": True},
}


async def owner_and_page(api: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, Any]]:
    email = f"browser-{id(api)}-{asyncio.get_running_loop().time()}@example.com"
    registered = await api.post(
        "/api/auth/register", json={"email": email, "password": "correct horse", "name": "민준"}
    )
    assert registered.status_code == 201, registered.text
    owner = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    created = await api.post("/api/pages", json={**COMPLETE_DOCUMENT, **EXTRA}, headers=owner)
    assert created.status_code == 201, created.text
    page = created.json()
    published = await api.post(f"/api/pages/{page['id']}/publish", headers=owner)
    assert published.status_code == 200, published.text
    return owner, page


async def test_a_guest_reads_answers_and_signs_on_a_phone(
    browser: Browser, server: str, api: httpx.AsyncClient
) -> None:
    owner, created = await owner_and_page(api)
    slug = created["slug"]
    page, problems = await phone(browser, server)

    response = await page.goto(f"/i/{slug}")
    assert response is not None
    assert response.status == 200
    for section in SECTIONS:
        located = page.locator(f"section#{section}")
        await located.scroll_into_view_if_needed()
        await expect(located).to_be_visible()
    # The inline stylesheet ran (allowed by its hash): the page is laid out for a phone.
    width = await page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    assert width <= PHONE["width"]
    await expect(page.locator("#calendar .dday")).to_have_text("D-" + (await dday(page)))

    await page.locator("#gift_accounts summary").first.click()
    copy = page.locator("#gift_accounts button[data-copy]").first
    await copy.click()
    await expect(copy).to_have_text("복사됨")
    assert await page.evaluate("navigator.clipboard.readText()") == "국민은행 123-45-6789"

    form = page.locator("#rsvp-form")
    await form.locator("input[name=side][value=bride]").check()
    await form.locator("input[name=attending][value=yes]").check()
    await form.locator("input[name=name]").fill("성춘향")
    await form.locator("input[name=party_size]").fill("3")
    await form.locator("select[name=meal]").select_option("no")
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#rsvp-done")).to_be_visible()
    await expect(form).to_be_hidden()

    book = page.locator("#guestbook-form")
    await book.locator("input[name=name]").fill("이몽룡")
    await book.locator("textarea[name=message]").fill("<b>축하</b>합니다!")
    await book.locator("input[name=password]").fill("1234")
    await book.locator("button[type=submit]").click()
    entry = page.locator("#entries li").first
    await expect(entry.locator(".pre")).to_have_text("<b>축하</b>합니다!")
    await expect(entry.locator("strong")).to_have_text("이몽룡")

    rsvps = (await api.get(f"/api/pages/{created['id']}/rsvps", headers=owner)).json()["items"]
    assert [(r["name"], r["side"], r["party_size"], r["meal"]) for r in rsvps] == [
        ("성춘향", "bride", 3, "no")
    ]
    signed = (await api.get(f"/api/public/pages/{slug}/guestbook")).json()["items"]
    assert [(e["name"], e["message"]) for e in signed] == [("이몽룡", "<b>축하</b>합니다!")]

    # A fresh load shows the entry from the server (the cache was refreshed by the post).
    await page.reload()
    await expect(page.locator("#entries li strong").first).to_have_text("이몽룡")
    await page.locator("#entries li summary").first.click()
    await page.locator("#entries li input[name=password]").first.fill("wrong")
    await page.locator("#entries li form button").first.click()
    await expect(page.locator("#entries li .error").first).to_have_text("비밀번호가 맞지 않습니다.")
    await page.locator("#entries li input[name=password]").first.fill("1234")
    await page.locator("#entries li form button").first.click()
    await expect(page.locator("#entries li")).to_have_count(0)
    assert (await api.get(f"/api/public/pages/{slug}/guestbook")).json()["items"] == []

    assert problems == []


async def test_a_personal_link_greets_the_guest_and_links_the_answer(
    browser: Browser, server: str, api: httpx.AsyncClient
) -> None:
    owner, created = await owner_and_page(api)
    guest = (
        await api.post(
            f"/api/pages/{created['id']}/guests",
            json={"name": "홍길동", "side": "groom"},
            headers=owner,
        )
    ).json()
    page, problems = await phone(browser, server)
    await page.goto(f"/i/{created['slug']}?g={guest['token']}")

    await expect(page.locator("#guest-hello")).to_have_text("홍길동님, 반갑습니다.")
    form = page.locator("#rsvp-form")
    await expect(form.locator("input[name=name]")).to_have_value("홍길동")
    await expect(form.locator("input[name=side][value=groom]")).to_be_checked()
    await form.locator("input[name=attending][value=no]").check()
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#rsvp-done")).to_be_visible()

    listed = await guest_when(api, created["id"], owner, lambda g: g["opened_at"] is not None)
    assert listed["responded_at"] is not None
    assert problems == []


async def guest_when(
    api: httpx.AsyncClient, page_id: str, owner: dict[str, str], done: Any
) -> dict[str, Any]:
    """The page's one guest once ``done`` holds: the opening is recorded in the background."""
    for _ in range(200):
        [guest] = (await api.get(f"/api/pages/{page_id}/guests", headers=owner)).json()["items"]
        if done(guest):
            return dict(guest)
        await asyncio.sleep(0.05)
    pytest.fail("the guest's opening was never recorded")


async def dday(page: Page) -> str:
    """Days from today in Seoul to the ceremony (2027-05-15), as the page should say."""
    days = await page.evaluate(
        """() => {
          const seoul = new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Seoul'})
            .format(new Date());
          return Math.round((Date.parse('2027-05-15') - Date.parse(seoul)) / 86400000);
        }"""
    )
    return str(days)
