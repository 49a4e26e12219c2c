"""The payment tests' app: PortOne's API and webhooks served by the local fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.payments.model import OrderEvent
from mocheong_core.payments.ports import OrderRepository
from tests.fakes.http import in_thread
from tests.fakes.portone import SECRET, STORE_ID, WEBHOOK_SECRET, FakePortOne
from tests.integration.accounts_http import Client
from tests.integration.pages_helpers import container_of, create_page, user_headers


def portone_settings(settings: Settings, fake: FakePortOne, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "portone_api_base": fake.url,
        "portone_api_secret": SECRET,
        "portone_store_id": STORE_ID,
        "portone_channel_key": "channel-key-fake",
        "portone_webhook_secret": WEBHOOK_SECRET,
        "portone_timeout": 2.0,
        **extra,
    }
    return evolve(settings, **values)


@pytest.fixture
def portone() -> Iterator[FakePortOne]:
    with in_thread(FakePortOne()) as fake:
        yield fake


@pytest.fixture
async def pay_client(settings: Settings, portone: FakePortOne) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(portone_settings(settings, portone))) as client:
        yield client


async def order_for_new_page(client: Client) -> tuple[dict[str, str], dict[str, Any], str]:
    """A new user, a page of theirs and a premium order for it: (headers, checkout, page id)."""
    headers = await user_headers(client)
    page = await create_page(client, headers)
    response = await client.post(
        "/api/payments/orders", json={"product_code": "premium", "page_id": page["id"]},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text
    return headers, dict(response.json()), page["id"]


async def events_of(client: Client, order_id: str) -> list[OrderEvent]:
    async with container_of(client)() as request:
        events: list[OrderEvent] = await (await request.get(OrderRepository)).events(order_id)
        return events


async def plan_of(client: Client, headers: dict[str, str], page_id: str) -> str:
    response = await client.get(f"/api/pages/{page_id}", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["plan"])
