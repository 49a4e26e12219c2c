"""R7 with real concurrency on PostgreSQL: the complete call, webhooks (the same one replayed
and distinct ones) and reconciliation runs at once, each in its own request and database
transaction, make exactly one ``paid`` transition."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from mocheong_core.accounts.ports import UserRepository
from mocheong_core.payments.model import OrderStatus
from mocheong_core.payments.ports import OrderRepository
from mocheong_core.payments.usecases import CompleteOrder, ReceiveWebhook, Reconcile
from tests.fakes.portone import FakePortOne, signed_webhook, transaction_event
from tests.integration.accounts_http import Client
from tests.integration.pages_helpers import container_of
from tests.integration.payments_helpers import (
    events_of,
    order_for_new_page,
    pay_client,
    plan_of,
    portone,
)

__all__ = ["pay_client", "portone"]

CALLERS = 8


@pytest.mark.parametrize("backend", ["postgres"])
async def test_concurrent_complete_webhook_and_reconciliation_pay_once(
    pay_client: Client, portone: FakePortOne
) -> None:
    headers, checkout, page_id = await order_for_new_page(pay_client)
    portone.pay(checkout["payment_id"])
    # Every caller fetches the payment before any of them writes: the race is on the write.
    portone.delay = 0.05
    container = container_of(pay_client)
    body, signed = signed_webhook(transaction_event(checkout["payment_id"]), webhook_id="dup")

    async def complete() -> Any:
        async with container() as request:
            order = await (await request.get(OrderRepository)).get(checkout["order_id"])
            assert order is not None
            buyer = await (await request.get(UserRepository)).get(order.user_id)
            assert buyer is not None
            usecase = await request.get(CompleteOrder)
            return (await usecase(buyer, checkout["order_id"], checkout["payment_id"])).status

    async def webhook(webhook_id: str) -> Any:
        async with container() as request:
            usecase = await request.get(ReceiveWebhook)
            if webhook_id == "dup":
                return await usecase(body, signed)
            return await usecase(*signed_webhook(
                transaction_event(checkout["payment_id"]), webhook_id=webhook_id))  # fmt: skip

    async def reconcile() -> Any:
        async with container() as request:
            usecase = await request.get(Reconcile)
            usecase.min_age = timedelta(0)
            return await usecase()

    async def race() -> list[Any]:
        calls = []
        for index in range(CALLERS):
            calls += [complete(), webhook("dup"), webhook(f"w{index}"), reconcile()]
        return list(await asyncio.gather(*calls))

    results = await asyncio.to_thread(pay_client.blocking_portal.call, race)
    statuses = [r for r in results if isinstance(r, OrderStatus)]
    assert statuses == [OrderStatus.PAID] * CALLERS
    # The webhook delivered CALLERS times under one id was acted on once.
    assert [outcome.new for outcome in results[1::4]].count(True) == 1
    events = await events_of(pay_client, checkout["order_id"])
    assert [(e.from_status, e.to_status) for e in events] == [
        (OrderStatus.PENDING, OrderStatus.PAID)
    ]
    assert await plan_of(pay_client, headers, page_id) == "premium"
