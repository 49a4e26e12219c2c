"""``GET /`` is a front door in Korean and English whose every link is served."""

from __future__ import annotations

import re
from importlib.metadata import version

import pytest

from entrypoints.http.landing import STUDIO, landing_links
from tests.integration.accounts_http import Client


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the page does not touch the database


async def test_the_front_door_links_what_is_served_in_both_languages(client: Client) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    html = response.text
    assert "<html lang='ko'>" in html
    assert "API 문서" in html
    assert "API reference" in html
    assert f"<code>{version('mocheong')}</code>" in html

    hrefs = re.findall(r"href='([^']+)'", html)
    assert {"/schema", "/schema/swagger", "/schema/openapi.json", "/health"} <= set(hrefs)
    assert STUDIO in hrefs  # the studio is served, so the front door links it
    for href in hrefs:
        assert (await client.get(href)).status_code == 200, href


def test_the_studio_is_linked_once_it_is_served() -> None:
    assert STUDIO in [href for href, _, _ in landing_links({"/", STUDIO})]
    assert STUDIO not in [href for href, _, _ in landing_links({"/"})]
