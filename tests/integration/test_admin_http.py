"""The admin API: who may call each route, user search, moderation, the audit log of every
administrative action, and the service's counts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.portone import FakePortOne
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import admin_headers, create_complete_page, user_headers
from tests.integration.payments_helpers import order_for_new_page, pay_client, portone

__all__ = ["pay_client", "portone"]

MISSING = "01900000-0000-7000-8000-000000000000"
ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/admin/users", None),
    ("PATCH", f"/api/admin/users/{MISSING}", {"disabled": True}),
    ("GET", "/api/admin/pages", None),
    ("POST", f"/api/admin/pages/{MISSING}/unpublish", None),
    ("GET", "/api/admin/payments", None),
    ("POST", f"/api/admin/payments/{MISSING}/cancel", {"reason": "test"}),
    ("GET", "/api/admin/stats", None),
    ("GET", "/api/admin/audit", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_every_admin_route_is_for_admins_only(
    pay_client: Client, method: str, path: str, body: dict[str, Any] | None
) -> None:
    anonymous = await pay_client.request(method, path, json=body)
    assert_problem(anonymous, 401, "unauthorized")
    user = await pay_client.request(method, path, json=body, headers=await user_headers(pay_client))
    assert_problem(user, 403, "forbidden")
    admin = await pay_client.request(
        method, path, json=body, headers=await admin_headers(pay_client)
    )
    # An administrator gets the list, or learns that the record does not exist.
    assert admin.status_code in (200, 404), admin.text


async def test_users_are_searched_by_email_or_name(pay_client: Client) -> None:
    admin = await admin_headers(pay_client)
    await user_headers(pay_client, name="검색대상")
    response = await pay_client.get("/api/admin/users?search=검색대", headers=admin)
    assert [u["name"] for u in response.json()["items"]] == ["검색대상"]
    response = await pay_client.get("/api/admin/users?search=ops-", headers=admin)
    assert all("ops-" in u["email"] for u in response.json()["items"])
    response = await pay_client.get("/api/admin/users?search=%25", headers=admin)
    assert response.json()["items"] == []


async def test_admin_actions_are_audited_and_counted(
    pay_client: Client, portone: FakePortOne
) -> None:
    admin = await admin_headers(pay_client)
    owner = await user_headers(pay_client)
    page = await create_complete_page(pay_client, owner)
    response = await pay_client.post(f"/api/admin/pages/{page['id']}/unpublish", headers=admin)
    assert response.status_code == 200, response.text
    me = await pay_client.get("/api/auth/me", headers=owner)
    response = await pay_client.patch(
        f"/api/admin/users/{me.json()['id']}", json={"disabled": True}, headers=admin
    )
    assert response.status_code == 200, response.text

    buyer, checkout, _ = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"])
    await pay_client.post(
        f"/api/payments/orders/{checkout['order_id']}/complete",
        json={"payment_id": checkout["payment_id"]}, headers=buyer,
    )  # fmt: skip
    response = await pay_client.post(
        f"/api/admin/payments/{checkout['order_id']}/cancel",
        json={"reason": "고객 요청", "amount": 1000}, headers=admin,
    )  # fmt: skip
    assert response.status_code == 200, response.text

    audit = (await pay_client.get("/api/admin/audit", headers=admin)).json()["items"]
    assert [(e["action"], e["target"]) for e in audit] == [
        ("payments.refund", checkout["order_id"]),
        ("users.update", me.json()["id"]),
        ("pages.unpublish", page["id"]),
    ]
    assert audit[1]["detail"] == {"disabled": True}
    assert audit[0]["detail"]["reason"] == "고객 요청"
    assert len({e["actor_id"] for e in audit}) == 1

    stats = (await pay_client.get("/api/admin/stats", headers=admin)).json()
    assert stats["users"] == 3
    assert stats["pages_by_status"] == {"unpublished": 1, "draft": 1}
    assert stats["rsvps"] == 0
    assert [day["amount"] for day in stats["revenue_by_day"]] == [8900]
