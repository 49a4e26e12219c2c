"""Every link a client receives is absolute, from one setting (``MOCHEONG_PUBLIC_BASE_URL``)
or, without it, from the request's own origin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.files_support import image_bytes
from tests.integration.accounts_http import Client
from tests.integration.pages_helpers import create_page, user_headers


@pytest.fixture
def backend() -> str:
    return "sqlite"  # links do not depend on the database


async def links(client: Client) -> tuple[str, str]:
    owner = await user_headers(client)
    page = await create_page(client, owner)
    guest = await client.post(
        f"/api/pages/{page['id']}/guests", json={"name": "홍길동", "side": "groom"}, headers=owner
    )
    assert guest.status_code == 201, guest.text
    files = {"file": ("a.png", image_bytes("PNG"), "image/png")}
    uploaded = await client.post("/api/files", files=files, headers=owner)
    assert uploaded.status_code == 201, uploaded.text
    return guest.json()["link"], uploaded.json()["url"]


async def test_links_are_absolute_on_the_request_origin(client: Client) -> None:
    guest_link, file_url = await links(client)
    assert guest_link.startswith("http://testserver.local/i/")
    assert file_url.startswith("http://testserver.local/files/")


@pytest.fixture
async def based(settings: Settings) -> AsyncIterator[AsyncTestClient[Any]]:
    app = create_app(evolve(settings, public_base_url="https://m.example/"))
    async with AsyncTestClient(app) as test_client:
        yield test_client


async def test_links_use_the_public_base_url(based: Client) -> None:
    guest_link, file_url = await links(based)
    assert guest_link.startswith("https://m.example/i/")
    assert file_url.startswith("https://m.example/files/")
