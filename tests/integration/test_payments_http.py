"""Orders paid through the fake PortOne server: by the complete call, the webhook or the
reconciliation, in any order and any number of times, with exactly one ``paid`` transition;
tampered payments never pay; refunds reach the gateway with an idempotency key."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.admin import reconcile_payments
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.payments.model import EventSource, OrderStatus
from mocheong_core.payments.usecases import Reconcile
from tests.fakes.portone import WEBHOOK_SECRET, FakePortOne, signed_webhook, transaction_event
from tests.integration.accounts_http import Client, assert_problem
from tests.integration.pages_helpers import admin_headers, container_of, user_headers
from tests.integration.payments_helpers import (
    events_of,
    order_for_new_page,
    pay_client,
    plan_of,
    portone,
    portone_settings,
)

__all__ = ["pay_client", "portone"]


async def complete(client: Client, headers: dict[str, str], checkout: dict[str, Any]) -> Any:
    return await client.post(
        f"/api/payments/orders/{checkout['order_id']}/complete",
        json={"payment_id": checkout["payment_id"]}, headers=headers,
    )  # fmt: skip


async def webhook(client: Client, payment_id: str, webhook_id: str = "msg_1") -> Any:
    body, headers = signed_webhook(transaction_event(payment_id), webhook_id=webhook_id)
    return await client.post("/api/payments/webhook", content=body, headers=headers)


async def reconcile(client: Client) -> int:
    """One reconciliation run in the app's own event loop (where its pools live), with every
    unsettled order counted as old enough."""

    async def run() -> int:
        async with container_of(client)() as request:
            usecase = await request.get(Reconcile)
            usecase.min_age = timedelta(0)
            return await usecase()

    return int(await asyncio.to_thread(client.blocking_portal.call, run))


async def test_catalog_is_priced_by_the_server(pay_client: Client) -> None:
    response = await pay_client.get("/api/payments/products")
    assert response.status_code == 200
    assert response.json() == [
        {"code": "premium", "name": "모청 프리미엄 (청첩장 1개)", "amount": 9900, "currency": "KRW"}
    ]


async def test_an_order_is_paid_once_by_the_complete_call(
    pay_client: Client, portone: FakePortOne
) -> None:
    headers, checkout, page_id = await order_for_new_page(pay_client)
    assert checkout["amount"] == 9900
    assert checkout["currency"] == "KRW"
    assert checkout["store_id"] == "store-fake-0001"
    assert checkout["sandbox"] is False
    # The expected amount was registered with PortOne before the browser pays.
    (pre,) = portone.sent("POST", "/pre-register")
    assert pre.json()["totalAmount"] == 9900
    assert pre.headers["idempotency-key"]
    assert await plan_of(pay_client, headers, page_id) == "free"

    portone.pay(checkout["payment_id"])
    for _ in range(3):
        response = await complete(pay_client, headers, checkout)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "paid"

    (event,) = await events_of(pay_client, checkout["order_id"])
    assert (event.from_status, event.to_status) == (OrderStatus.PENDING, OrderStatus.PAID)
    assert event.source is EventSource.COMPLETE
    assert await plan_of(pay_client, headers, page_id) == "premium"


async def test_webhook_complete_and_reconciliation_in_any_order_pay_once(
    pay_client: Client, portone: FakePortOne
) -> None:
    headers, checkout, _ = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"])
    response = await webhook(pay_client, checkout["payment_id"], "msg_a")
    assert response.status_code == 200, response.text
    assert (await complete(pay_client, headers, checkout)).json()["status"] == "paid"
    assert await reconcile(pay_client) == 0
    response = await webhook(pay_client, checkout["payment_id"], "msg_b")
    assert response.status_code == 200
    events = await events_of(pay_client, checkout["order_id"])
    assert [(e.to_status, e.source) for e in events] == [(OrderStatus.PAID, EventSource.WEBHOOK)]


async def test_reconciliation_pays_an_order_whose_webhook_was_lost(
    pay_client: Client, portone: FakePortOne
) -> None:
    headers, checkout, page_id = await order_for_new_page(pay_client)
    assert await reconcile(pay_client) == 0  # not paid yet: stays pending
    portone.pay(checkout["payment_id"])
    assert await reconcile(pay_client) == 1
    assert await reconcile(pay_client) == 0
    (event,) = await events_of(pay_client, checkout["order_id"])
    assert event.source is EventSource.RECONCILIATION
    assert await plan_of(pay_client, headers, page_id) == "premium"


async def test_a_virtual_account_waits_then_pays(pay_client: Client, portone: FakePortOne) -> None:
    headers, checkout, _ = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"], status="VIRTUAL_ACCOUNT_ISSUED")
    assert (await complete(pay_client, headers, checkout)).json()["status"] == (
        "virtual_account_issued"
    )
    portone.pay(checkout["payment_id"])
    assert (await webhook(pay_client, checkout["payment_id"])).status_code == 200
    events = await events_of(pay_client, checkout["order_id"])
    assert [e.to_status for e in events] == [
        OrderStatus.VIRTUAL_ACCOUNT_ISSUED, OrderStatus.PAID,
    ]  # fmt: skip


async def test_a_failed_payment_fails_the_order(pay_client: Client, portone: FakePortOne) -> None:
    headers, checkout, page_id = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"], status="FAILED")
    assert (await complete(pay_client, headers, checkout)).json()["status"] == "failed"
    assert await plan_of(pay_client, headers, page_id) == "free"


async def test_tampered_payments_never_pay(pay_client: Client, portone: FakePortOne) -> None:
    cases = [
        ({"amount": 100}, "payment_amount_mismatch"),
        ({"currency": "USD"}, "payment_currency_mismatch"),
        ({"store_id": "someone-elses-store"}, "payment_store_mismatch"),
    ]
    for tampering, code in cases:
        headers, checkout, page_id = await order_for_new_page(pay_client)
        portone.pay(checkout["payment_id"], **tampering)  # type: ignore[arg-type]
        assert_problem(await complete(pay_client, headers, checkout), 409, code)
        assert await events_of(pay_client, checkout["order_id"]) == []
        # The webhook is taken (PortOne would retry anything else, for nothing), pays nothing
        # and leaves the refusal in the order's log; its replay is a no-op.
        response = await webhook(pay_client, checkout["payment_id"], f"msg-{code}")
        assert response.json() == {"received": True, "duplicate": False, "refused": code}
        response = await webhook(pay_client, checkout["payment_id"], f"msg-{code}")
        assert response.json() == {"received": True, "duplicate": True}
        (event,) = await events_of(pay_client, checkout["order_id"])
        assert (event.from_status, event.to_status, event.source) == (
            "pending",
            "pending",
            "webhook",
        )
        assert event.detail["refused"] == code
        assert await plan_of(pay_client, headers, page_id) == "free"


async def test_an_order_is_completed_only_by_its_buyer_with_its_payment(
    pay_client: Client, portone: FakePortOne
) -> None:
    headers, checkout, _ = await order_for_new_page(pay_client)
    _, other, _ = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"])
    portone.pay(other["payment_id"])
    stranger = await user_headers(pay_client)
    assert_problem(await complete(pay_client, stranger, checkout), 404, "order_not_found")
    swapped = {**checkout, "payment_id": other["payment_id"]}
    assert_problem(await complete(pay_client, headers, swapped), 409, "payment_id_mismatch")
    assert await events_of(pay_client, checkout["order_id"]) == []


async def test_an_order_for_someone_elses_page_or_an_unknown_product_is_refused(
    pay_client: Client,
) -> None:
    _, _, page_id = await order_for_new_page(pay_client)
    stranger = await user_headers(pay_client)
    response = await pay_client.post(
        "/api/payments/orders", json={"product_code": "premium", "page_id": page_id},
        headers=stranger,
    )  # fmt: skip
    assert_problem(response, 404, "not_found")
    response = await pay_client.post(
        "/api/payments/orders", json={"product_code": "gold", "page_id": page_id},
        headers=stranger,
    )  # fmt: skip
    assert_problem(response, 404, "product_not_found")
    # An amount sent by the client is not part of the contract and is refused outright.
    response = await pay_client.post(
        "/api/payments/orders",
        json={"product_code": "premium", "page_id": page_id, "amount": 1}, headers=stranger,
    )  # fmt: skip
    assert response.status_code in (400, 422)


async def test_webhook_signatures(pay_client: Client, portone: FakePortOne) -> None:
    _headers, checkout, _ = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"])
    event = transaction_event(checkout["payment_id"])

    body, signed = signed_webhook(event, secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQQ==")
    response = await pay_client.post("/api/payments/webhook", content=body, headers=signed)
    assert_problem(response, 401, "invalid_webhook_signature")
    body, signed = signed_webhook(event, timestamp=int(time.time()) - 600)
    response = await pay_client.post("/api/payments/webhook", content=body, headers=signed)
    assert_problem(response, 401, "invalid_webhook_signature")
    body, signed = signed_webhook(event)
    response = await pay_client.post(
        "/api/payments/webhook", content=body.replace(b"Paid", b"Fail"), headers=signed
    )
    assert_problem(response, 401, "invalid_webhook_signature")
    response = await pay_client.post("/api/payments/webhook", content=body)
    assert_problem(response, 401, "invalid_webhook_signature")
    assert await events_of(pay_client, checkout["order_id"]) == []

    response = await pay_client.post("/api/payments/webhook", content=body, headers=signed)
    assert response.status_code == 200
    assert response.json() == {
        "received": True,
        "duplicate": False,
    }
    replay = await pay_client.post("/api/payments/webhook", content=body, headers=signed)
    assert replay.json() == {"received": True, "duplicate": True}
    assert len(await events_of(pay_client, checkout["order_id"])) == 1

    body, signed = signed_webhook({"type": "Something.New", "data": {}}, webhook_id="msg_new")
    response = await pay_client.post("/api/payments/webhook", content=body, headers=signed)
    assert response.status_code == 200


async def test_webhooks_signed_with_either_secret_during_a_rotation(
    settings: Settings, portone: FakePortOne
) -> None:
    new_secret = "whsec_" + "TmV3U2VjcmV0S2V5T2YzMkJ5dGVzTG9uZzEyMzQ1Ng=="
    rotated = portone_settings(settings, portone,
                               portone_webhook_secret=f"{new_secret},{WEBHOOK_SECRET}")  # fmt: skip
    async with AsyncTestClient(create_app(rotated)) as client:
        for index, secret in enumerate((WEBHOOK_SECRET, new_secret)):
            body, signed = signed_webhook(
                transaction_event("unknown-payment"), secret=secret, webhook_id=f"m{index}"
            )
            response = await client.post("/api/payments/webhook", content=body, headers=signed)
            assert response.status_code == 200, response.text


async def test_gateway_errors_are_retried_only_when_they_may_pass(
    settings: Settings, portone: FakePortOne
) -> None:
    configured = portone_settings(settings, portone, portone_timeout=10.0, portone_retries=1)
    async with AsyncTestClient(create_app(configured)) as client:
        headers, checkout, _ = await order_for_new_page(client)
        portone.pay(checkout["payment_id"])
        # Two 5xx answers exhaust the one retry.
        portone.failures = [500, 503]
        assert_problem(await complete(client, headers, checkout), 503, "gateway_unavailable")
        assert await events_of(client, checkout["order_id"]) == []
        # One 5xx is retried with the same request, which then pays.
        portone.failures = [502]
        fetches = len(portone.sent("GET"))
        assert (await complete(client, headers, checkout)).json()["status"] == "paid"
        assert len(portone.sent("GET")) == fetches + 2
        # A 4xx is PortOne's answer (here, a refused API secret) and is not retried.
        portone.failures = [401]
        fetches = len(portone.sent("GET"))
        assert_problem(await complete(client, headers, checkout), 502, "gateway_refused")
        assert len(portone.sent("GET")) == fetches + 1
        assert len(await events_of(client, checkout["order_id"])) == 1


async def test_a_slow_gateway_times_out_and_pays_nothing(
    settings: Settings, portone: FakePortOne
) -> None:
    configured = portone_settings(settings, portone, portone_timeout=1.0, portone_retries=0)
    async with AsyncTestClient(create_app(configured)) as client:
        headers, checkout, _ = await order_for_new_page(client)
        portone.pay(checkout["payment_id"])
        portone.delay = 60.0  # never answered in time; the fake ends it when it stops
        assert_problem(await complete(client, headers, checkout), 503, "gateway_unavailable")
        assert await events_of(client, checkout["order_id"]) == []


async def test_admin_refunds_through_the_gateway_and_takes_premium_back(
    pay_client: Client, portone: FakePortOne
) -> None:
    headers, checkout, page_id = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"])
    await complete(pay_client, headers, checkout)
    admin = await admin_headers(pay_client)
    url = f"/api/admin/payments/{checkout['order_id']}/cancel"

    assert_problem(await pay_client.post(url, json={"reason": "x"}, headers=headers), 403,
                   "forbidden")  # fmt: skip
    response = await pay_client.post(url, json={"reason": "테스트", "amount": 99_999},
                                     headers=admin)  # fmt: skip
    assert_problem(response, 409, "refund_too_large")

    response = await pay_client.post(url, json={"reason": "일부 환불", "amount": 900},
                                     headers=admin)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "partially_cancelled"
    assert response.json()["cancelled_amount"] == 900
    assert await plan_of(pay_client, headers, page_id) == "premium"

    response = await pay_client.post(url, json={"reason": "전액 환불"}, headers=admin)
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancelled_amount"] == 9900
    assert await plan_of(pay_client, headers, page_id) == "free"

    cancels = portone.sent("POST", "/cancel")
    assert [c.json().get("amount") for c in cancels] == [900, None]
    assert [c.json()["currentCancellableAmount"] for c in cancels] == [9900, 9000]
    assert all(c.headers.get("idempotency-key") for c in cancels)
    assert len({c.headers["idempotency-key"] for c in cancels}) == 2
    assert portone.payments[checkout["payment_id"]]["status"] == "CANCELLED"
    events = await events_of(pay_client, checkout["order_id"])
    assert [(e.to_status, e.source) for e in events] == [
        (OrderStatus.PAID, EventSource.COMPLETE),
        (OrderStatus.PARTIALLY_CANCELLED, EventSource.ADMIN),
        (OrderStatus.CANCELLED, EventSource.ADMIN),
    ]
    # The cancellation's webhook arrives afterwards and changes nothing.
    assert (await webhook(pay_client, checkout["payment_id"], "msg_cancel")).status_code == 200
    assert len(await events_of(pay_client, checkout["order_id"])) == 3
    assert_problem(await pay_client.post(url, json={"reason": "again"}, headers=admin), 409,
                   "not_refundable")  # fmt: skip

    listed = await pay_client.get("/api/admin/payments?status=cancelled", headers=admin)
    assert [o["id"] for o in listed.json()["items"]] == [checkout["order_id"]]
    mine = await pay_client.get("/api/payments/orders", headers=headers)
    assert [o["status"] for o in mine.json()["items"]] == ["cancelled"]


async def test_the_embedded_mode_pays_through_the_sandbox(settings: Settings) -> None:
    sandbox = evolve(settings, portone_api_secret="")
    async with AsyncTestClient(create_app(sandbox)) as client:
        headers, checkout, page_id = await order_for_new_page(client)
        assert checkout["sandbox"] is True
        response = await complete(client, headers, checkout)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "paid"
        assert response.json()["sandbox"] is True
        assert await plan_of(client, headers, page_id) == "premium"
        admin = await admin_headers(client)
        response = await client.post(
            f"/api/admin/payments/{checkout['order_id']}/cancel", json={"reason": "sandbox"},
            headers=admin,
        )  # fmt: skip
        assert response.json()["status"] == "cancelled"
        assert await plan_of(client, headers, page_id) == "free"


async def test_the_reconcile_command_pays_orders_whose_webhook_was_lost(
    settings: Settings, portone: FakePortOne
) -> None:
    configured = portone_settings(settings, portone, payments_reconcile_after=0.001)
    async with AsyncTestClient(create_app(configured)) as client:
        headers, checkout, page_id = await order_for_new_page(client)
        portone.pay(checkout["payment_id"])
        changed = await asyncio.to_thread(asyncio.run, reconcile_payments(configured))
        assert changed == 1
        (event,) = await events_of(client, checkout["order_id"])
        assert event.source is EventSource.RECONCILIATION
        assert await plan_of(client, headers, page_id) == "premium"


async def test_premium_unlocks_music_and_more_photos(
    pay_client: Client, portone: FakePortOne
) -> None:
    headers, checkout, page_id = await order_for_new_page(pay_client)
    url = f"/api/pages/{page_id}"
    music = {"music": {"file_id": "song-file-1"}}
    assert_problem(await pay_client.patch(url, json=music, headers=headers), 402,
                   "premium_required")  # fmt: skip
    photos = {"gallery": [f"photo-{index}" for index in range(13)]}
    assert_problem(await pay_client.patch(url, json=photos, headers=headers), 402,
                   "premium_required")  # fmt: skip
    portone.pay(checkout["payment_id"])
    await complete(pay_client, headers, checkout)
    for patch in (music, photos):
        response = await pay_client.patch(url, json=patch, headers=headers)
        assert response.status_code == 200, response.text
