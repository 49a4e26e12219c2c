"""The API viewers work offline: Chromium opens ``/schema`` (Scalar) and ``/schema/swagger``
(Swagger UI) with every request outside the server's origin refused, as on a machine without
internet, and sees the operations under the docs' strict CSP with no error."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, Route, expect

from tests.integration.browser_support import browser, chromium, phone, server

pytestmark = pytest.mark.browser
__all__ = ["browser", "chromium", "server"]  # fixtures, used by name
expect.set_options(timeout=30_000)  # a hang guard: Scalar's bundle is large, the machine busy


@pytest.mark.parametrize(
    ("path", "viewer"),
    [("/schema", "#scalar-reference"), ("/schema/swagger", "#swagger-ui")],
)
async def test_the_viewer_shows_the_operations_without_internet(
    browser: Browser, server: str, path: str, viewer: str
) -> None:
    page, problems = await phone(browser, server)
    elsewhere: list[str] = []

    async def only_this_origin(route: Route) -> None:
        if urlsplit(route.request.url).netloc == urlsplit(server).netloc:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.context.route("**/*", only_this_origin)
    response = await page.goto(path)
    assert response is not None
    assert response.status == 200
    operation = page.locator(viewer).get_by_text("/health", exact=True)
    await operation.first.scroll_into_view_if_needed()
    await expect(operation.first).to_be_visible()
    assert elsewhere == []
    assert problems == []
