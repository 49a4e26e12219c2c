"""Guests of every age: axe-core (WCAG 2.1 A and AA) finds no serious or critical violation on a
published page in any theme, in Chromium on a phone, and the page's icon is served."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Response

from mocheong_core.pages.content import Theme
from tests.integration.browser_support import api, axe_violations, browser, chromium, phone, server
from tests.integration.test_public_page_browser import owner_and_page

pytestmark = pytest.mark.browser
__all__ = ["api", "browser", "chromium", "server"]  # fixtures, used by name


async def test_every_theme_passes_axe_and_serves_its_icon(
    browser: Browser, server: str, api: httpx.AsyncClient
) -> None:
    owner, created = await owner_and_page(api)
    page, problems = await phone(browser, server)
    missing: list[str] = []

    def note(response: Response) -> None:
        if response.status >= 400:
            missing.append(f"{response.status} {response.url}")

    page.on("response", note)
    found: dict[str, Any] = {}
    for theme in Theme:
        changed = await api.patch(
            f"/api/pages/{created['id']}", json={"theme": theme.value}, headers=owner
        )
        assert changed.status_code == 200, changed.text
        await page.goto(f"/i/{created['slug']}")
        # The details (gift accounts, a guestbook entry's delete form) are checked open too.
        await page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        violations = await axe_violations(page, ("serious", "critical"))
        if violations:
            found[theme.value] = violations
    assert found == {}
    icon = await page.evaluate("document.querySelector('link[rel=icon]').href")
    assert (await api.get(icon)).status_code == 200
    assert missing == []
    assert problems == []
