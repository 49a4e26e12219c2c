"""The page's moments on a phone (390×844), in Debian's Chromium through Playwright: the RSVP
prompt opens once per guest and leads to the form, the sticky button stays on screen, the
countdown ticks beside the D-day, the chosen Korean font is served and used at the larger
scale, petals fall only without reduced motion; after a ceremony in the past the page thanks
the guests. axe-core finds no serious or critical problem, and the strict CSP reports nothing.

``MOCHEONG_PAGE_SCREENSHOTS=1`` also writes the phone screenshots of docs/pages.md to
``docs/pages/`` (off by default, so a test run leaves the tree clean).
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.integration.browser_support import api, browser, chromium, phone, server
from tests.integration.pages_helpers import COMPLETE_DOCUMENT
from tests.integration.test_public_page_guests_browser import no_serious_findings, shot

pytestmark = pytest.mark.browser
__all__ = ["api", "browser", "chromium", "server"]  # fixtures, used by name
expect.set_options(timeout=20_000)  # a hang guard for a loaded machine, not a timed assertion


async def published(api: httpx.AsyncClient, **extra: Any) -> tuple[dict[str, Any], dict[str, str]]:
    email = f"moments-{id(api)}-{asyncio.get_running_loop().time()}@example.com"
    registered = await api.post(
        "/api/auth/register", json={"email": email, "password": "correct horse", "name": "민준"}
    )
    assert registered.status_code == 201, registered.text
    owner = {"Authorization": f"Bearer {registered.json()['access_token']}"}
    created = await api.post("/api/pages", json={**COMPLETE_DOCUMENT, **extra}, headers=owner)
    assert created.status_code == 201, created.text
    page = created.json()
    assert (await api.post(f"/api/pages/{page['id']}/publish", headers=owner)).status_code == 200
    return dict(page), owner


async def test_the_rsvp_prompt_once_the_sticky_button_and_the_countdown(
    browser: Browser, server: str, api: httpx.AsyncClient
) -> None:
    created, _ = await published(
        api,
        rsvp={"prompt": True, "button": True},
        text={"font": "myeongjo", "scale": 1.3},
        effects={"falling": "petals", "opening": "우리 결혼합니다"},
    )
    page, problems = await phone(browser, server)
    await page.goto(f"/i/{created['slug']}")

    prompt = page.locator("#rsvp-prompt")
    await expect(prompt).to_be_visible()
    await no_serious_findings(page)
    await shot(page, "rsvp-prompt")
    await prompt.get_by_role("link", name="참석 여부 전달하기").click()
    await expect(prompt).to_be_hidden()
    assert page.url.endswith("#rsvp")

    # Once per guest: opened again, the page asks nothing.
    await page.goto(f"/i/{created['slug']}")
    await expect(page.locator("#cover")).to_be_visible()
    await expect(prompt).to_be_hidden()
    sticky = page.locator("#rsvp-sticky")
    await expect(sticky).to_be_in_viewport()
    await page.locator("#guestbook").scroll_into_view_if_needed()
    await expect(sticky).to_be_in_viewport()

    countdown = page.locator("#countdown")
    await expect(countdown).to_have_text(re.compile(r"^\d+일 \d{1,2}시간 \d{1,2}분$"))
    # The product's own Nanum Myeongjo is loaded (the CSP lets it in) and used.
    assert await page.evaluate(
        "document.fonts.ready.then(() => document.fonts.check('16px \"Nanum Myeongjo\"'))"
    )
    family = await page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.startswith('"Nanum Myeongjo"')
    assert await page.evaluate("getComputedStyle(document.querySelector('main')).zoom") == "1.3"

    falling = page.locator(".falling")
    await expect(falling).to_be_visible()
    await page.locator("#cover").scroll_into_view_if_needed()
    # axe judges the opening line's contrast once its fade-in has ended, as a guest reads it.
    await page.locator(".opening").evaluate(
        "e => Promise.all(e.getAnimations().map(a => a.finished))"
    )
    await no_serious_findings(page)
    await shot(page, "large-text-petals")
    await page.emulate_media(reduced_motion="reduce")
    await expect(falling).to_be_hidden()
    assert problems == []


async def test_after_a_ceremony_in_the_past_the_page_thanks_the_guests(
    browser: Browser, server: str, api: httpx.AsyncClient
) -> None:
    created, owner = await published(api, rsvp={"prompt": True, "button": True})
    seoul = ZoneInfo("Asia/Seoul")
    yesterday = datetime.combine(
        datetime.now(seoul).date() - timedelta(days=1), time(13), tzinfo=seoul
    )
    changed = await api.patch(
        f"/api/pages/{created['id']}",
        json={
            "ceremony": {"starts_at": yesterday.isoformat(timespec="seconds")},
            "after_wedding": {
                "mode": "thanks",
                "message": "함께해 주셔서 고맙습니다.\n잘 살겠습니다.",
            },
        },
        headers=owner,
    )
    assert changed.status_code == 200, changed.text
    page, problems = await phone(browser, server)
    await page.goto(f"/i/{created['slug']}")

    thanks = page.locator("#thanks")
    await expect(thanks).to_be_visible()
    await expect(thanks).to_contain_text("함께해 주셔서 고맙습니다.")
    for gone in ("#rsvp", "#rsvp-prompt", "#rsvp-sticky", "#calendar", "#venue"):
        await expect(page.locator(gone)).to_have_count(0)
    await expect(page.locator("#guestbook")).to_be_attached()
    await thanks.scroll_into_view_if_needed()
    await no_serious_findings(page)
    await shot(page, "thanks")
    assert problems == []
