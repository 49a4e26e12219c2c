"""Helpers for HTTP tests that need users and pages: register, authenticate, make a page."""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer

from mocheong_core.kernel.ids import new_id
from tests.integration.accounts_http import Client, admin_tokens, bearer, register

COMPLETE_DOCUMENT: dict[str, Any] = {
    "couple": {
        "groom": {"name": "김민준", "title": "장남", "phone": "010-1234-5678"},
        "bride": {"name": "이서연", "title": "차녀"},
    },
    "ceremony": {"starts_at": "2027-05-15T13:00:00+09:00", "time_zone": "Asia/Seoul"},
    "venue": {
        "name": "더채플앳청담",
        "hall": "3층 채플홀",
        "address": "서울 강남구 선릉로 757",
        "lat": 37.5233,
        "lng": 127.0406,
    },
    "greeting": "저희 두 사람이 사랑으로 하나 되는 날",
}


async def user_headers(client: Client, name: str = "민준") -> dict[str, str]:
    """A newly registered user's ``Authorization`` header."""
    return bearer(await register(client, f"{new_id()}@example.com", name))


async def admin_headers(client: Client) -> dict[str, str]:
    return bearer(await admin_tokens(client, f"ops-{new_id()}@example.com"))


async def create_page(client: Client, headers: dict[str, str], **document: Any) -> dict[str, Any]:
    response = await client.post("/api/pages", json=document, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_complete_page(
    client: Client, headers: dict[str, str], *, publish: bool = True, **extra: Any
) -> dict[str, Any]:
    """A page with everything publishing needs (``extra`` added on top), published by default."""
    page = await create_page(client, headers, **{**COMPLETE_DOCUMENT, **extra})
    if not publish:
        return page
    response = await client.post(f"/api/pages/{page['id']}/publish", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def container_of(client: Client) -> AsyncContainer:
    """The app's dishka container, to call a use case that has no route of its own."""
    container: AsyncContainer = client.app.state.dishka_container
    return container


async def make_premium(client: Client, headers: dict[str, str], page_id: str) -> None:
    """Buys premium for the page through the sandbox gateway, as the studio's checkout does."""
    order = await client.post(
        "/api/payments/orders", json={"product_code": "premium", "page_id": page_id},
        headers=headers,
    )  # fmt: skip
    assert order.status_code == 201, order.text
    paid = await client.post(
        f"/api/payments/orders/{order.json()['order_id']}/complete",
        json={"payment_id": order.json()["payment_id"]}, headers=headers,
    )  # fmt: skip
    assert paid.json()["status"] == "paid", paid.text
