"""R7 as a chaos row: many orders, some tampered, synced at once by complete calls, webhooks
(replayed ids among them, in any order) and reconciliation runs while PortOne answers some
calls with 5xx. Invariants only: every honest order ends paid with exactly one ``paid`` event,
every tampered one pays nothing."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import timedelta
from typing import Any

import pytest

from mocheong_core.accounts.ports import UserRepository
from mocheong_core.errors import DomainError
from mocheong_core.payments.model import EventSource, OrderStatus
from mocheong_core.payments.ports import OrderRepository
from mocheong_core.payments.usecases import CompleteOrder, ReceiveWebhook, Reconcile
from tests.fakes.portone import FakePortOne, signed_webhook, transaction_event
from tests.integration.accounts_http import Client
from tests.integration.pages_helpers import container_of
from tests.integration.payments_helpers import events_of, order_for_new_page, pay_client, portone

__all__ = ["pay_client", "portone"]

ORDERS = 6
CALLS_PER_ORDER = 6


@pytest.mark.parametrize("backend", ["postgres"])
async def test_payments_under_chaos_pay_each_honest_order_once(
    pay_client: Client, portone: FakePortOne
) -> None:
    rng = random.Random(7)
    checkouts = [(await order_for_new_page(pay_client))[1] for _ in range(ORDERS)]
    tampered = {c["order_id"] for c in checkouts[:2]}
    for checkout in checkouts:
        amount = 10 if checkout["order_id"] in tampered else None
        portone.pay(checkout["payment_id"], amount=amount)
    # Roughly one call in five meets a 5xx it may or may not survive on its retry.
    portone.failures = [rng.choice([500, 502, 503]) if rng.random() < 0.2 else 0
                        for _ in range(200)]  # fmt: skip
    portone.failures = [status for status in portone.failures if status]
    container = container_of(pay_client)

    async def complete(checkout: dict[str, Any]) -> None:
        async with container() as request:
            order = await (await request.get(OrderRepository)).get(checkout["order_id"])
            assert order is not None
            buyer = await (await request.get(UserRepository)).get(order.user_id)
            assert buyer is not None
            await (await request.get(CompleteOrder))(buyer, order.id, checkout["payment_id"])

    async def webhook(checkout: dict[str, Any], webhook_id: str) -> None:
        body, headers = signed_webhook(
            transaction_event(checkout["payment_id"]), webhook_id=webhook_id
        )
        async with container() as request:
            await (await request.get(ReceiveWebhook))(body, headers)

    async def reconcile() -> None:
        async with container() as request:
            usecase = await request.get(Reconcile)
            usecase.min_age = timedelta(0)
            await usecase()

    async def tolerant(call: Any) -> None:
        # A 503 after the retries, or a refused tampered payment: the invariants decide.
        with contextlib.suppress(DomainError):
            await call

    async def chaos() -> None:
        calls = []
        for checkout in checkouts:
            for index in range(CALLS_PER_ORDER):
                kind = rng.choice(["complete", "webhook", "replay", "reconcile"])
                if kind == "complete":
                    calls.append(complete(checkout))
                elif kind == "reconcile":
                    calls.append(reconcile())
                else:
                    name = "same" if kind == "replay" else str(index)
                    calls.append(webhook(checkout, f"{checkout['order_id']}-{name}"))
        rng.shuffle(calls)
        await asyncio.gather(*(tolerant(call) for call in calls))
        # Whatever the faults left unsettled, the next reconciliation run settles.
        portone.failures = []
        await tolerant(reconcile())

    await asyncio.to_thread(pay_client.blocking_portal.call, chaos)
    for checkout in checkouts:
        events = await events_of(pay_client, checkout["order_id"])
        if checkout["order_id"] in tampered:
            # Nothing moved: at most the webhooks' refusals, from pending to pending.
            assert {(e.from_status, e.to_status, e.source) for e in events} <= {
                (OrderStatus.PENDING, OrderStatus.PENDING, EventSource.WEBHOOK)
            }
            assert all(e.detail["refused"] == "payment_amount_mismatch" for e in events)
        else:
            assert [(e.from_status, e.to_status) for e in events] == [
                (OrderStatus.PENDING, OrderStatus.PAID)
            ]
