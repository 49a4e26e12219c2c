"""The payments use cases on the in-memory twins: prices from the catalog alone, one transition
whatever the order and number of syncs, tampering refused, refunds and the page's plan."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.memory.pages import InMemoryPageEvents, InMemoryPageRepository, PageEvent
from adapters.memory.payments import (
    InMemoryAuditLog,
    InMemoryOrderRepository,
    InMemoryWebhookReceipts,
)
from adapters.memory.uow import InMemoryUnitOfWork
from mocheong_core.accounts.errors import AdminOnly
from mocheong_core.accounts.model import Role, User
from mocheong_core.errors import NotFound
from mocheong_core.pages.content import Music, PageContent
from mocheong_core.pages.document import PagePolicy
from mocheong_core.pages.model import Page, PageStatus, Plan
from mocheong_core.pages.plan import PremiumRequired, ensure_plan_allows
from mocheong_core.payments.catalog import Catalog
from mocheong_core.payments.errors import (
    NotRefundable,
    PaymentAmountMismatch,
    PaymentCurrencyMismatch,
    PaymentStoreMismatch,
    ProductNotFound,
)
from mocheong_core.payments.model import (
    EventSource,
    GatewayPayment,
    GatewayStatus,
    OrderStatus,
    Product,
)
from mocheong_core.payments.ports import Cancellation, WebhookEvent
from mocheong_core.payments.premium import PagesPlans
from mocheong_core.payments.usecases import (
    CompleteOrder,
    CreateOrder,
    ReceiveWebhook,
    Reconcile,
    RefundOrder,
    SettleOrder,
    SyncPayment,
)

NOW = datetime(2027, 5, 15, 4, 0, tzinfo=UTC)
STORE = "store-1"


class Clock:
    def now(self) -> datetime:
        return NOW


class Gateway:
    """A gateway whose payments the test sets; it records what it was asked to cancel."""

    sandbox = False
    store_id: str | None = STORE

    def __init__(self) -> None:
        self.payments: dict[str, GatewayPayment] = {}
        self.cancels: list[tuple[str, int | None, str]] = []

    async def get_payment(self, payment_id: str) -> GatewayPayment | None:
        return self.payments.get(payment_id)

    async def pre_register(self, payment_id: str, amount: int, currency: str) -> None:
        return None

    async def cancel(
        self, payment_id: str, *, reason: str, amount: int | None,
        current_cancellable_amount: int, idempotency_key: str,
    ) -> Cancellation:  # fmt: skip
        self.cancels.append((payment_id, amount, idempotency_key))
        return Cancellation(payment_id, current_cancellable_amount if amount is None else amount)


class Verifier:
    def verify(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        return WebhookEvent(headers["webhook-id"], headers["type"], body.decode() or None)


@attrs.define(slots=False)
class Payments:
    pages: InMemoryPageRepository = attrs.field(factory=InMemoryPageRepository)
    orders: InMemoryOrderRepository = attrs.field(factory=InMemoryOrderRepository)
    receipts: InMemoryWebhookReceipts = attrs.field(factory=InMemoryWebhookReceipts)
    audit: InMemoryAuditLog = attrs.field(factory=InMemoryAuditLog)
    gateway: Gateway = attrs.field(factory=Gateway)
    events: InMemoryPageEvents = attrs.field(factory=InMemoryPageEvents)

    def __attrs_post_init__(self) -> None:
        uow = InMemoryUnitOfWork(self.pages, self.orders, self.receipts, self.audit)
        plans = PagesPlans(self.pages, self.events)
        catalog = Catalog([Product("premium", "프리미엄", 9900)])
        self.create = CreateOrder(catalog, self.orders, plans, self.gateway, uow, Clock())
        settle = SettleOrder(self.orders, self.gateway, plans, uow, Clock())
        self.complete = CompleteOrder(self.orders, settle)
        self.sync = SyncPayment(self.orders, settle, uow, Clock())
        self.webhook = ReceiveWebhook(Verifier(), self.receipts, self.sync, uow, Clock())
        self.reconcile = Reconcile(self.orders, settle, Clock(), timedelta(0), 100)
        self.refund = RefundOrder(self.orders, self.gateway, plans, self.audit, uow, Clock())

    async def page(self, owner: User) -> Page:
        page = Page(
            id=f"page-{owner.id}", owner_id=owner.id, slug=f"slug-{owner.id}",
            status=PageStatus.DRAFT, plan=Plan.FREE, version=1, content=PageContent(),
            created_at=NOW, updated_at=NOW,
        )  # fmt: skip
        await self.pages.add(page)
        return page

    def pay(self, payment_id: str, **changes: Any) -> None:
        payment = GatewayPayment(payment_id, GatewayStatus.PAID, 9900, 0, "KRW", STORE)
        self.gateway.payments[payment_id] = attrs.evolve(payment, **changes)


def user(name: str = "buyer", role: Role = Role.USER) -> User:
    return User(name, f"{name}@example.com", name, "hash", role, False, NOW)


async def test_an_order_takes_the_catalog_price_and_pays_once() -> None:
    payments, buyer = Payments(), user()
    page = await payments.page(buyer)
    order = await payments.create(buyer, "premium", page.id)
    assert (order.amount, order.currency, order.status) == (9900, "KRW", OrderStatus.PENDING)
    payments.pay(order.payment_id)
    for _ in range(3):
        assert (await payments.complete(buyer, order.id, order.payment_id)).status is (
            OrderStatus.PAID
        )
    assert len(await payments.orders.events(order.id)) == 1
    assert (await payments.pages.get(page.id)).plan is Plan.PREMIUM  # type: ignore[union-attr]
    # Announced once, after the commit, so every process's public-page cache drops the page.
    assert payments.events.events == [PageEvent(page.id, 1, ("plan",), "user")]


async def test_orders_only_for_known_products_and_own_pages() -> None:
    payments, buyer = Payments(), user()
    page = await payments.page(buyer)
    with pytest.raises(ProductNotFound):
        await payments.create(buyer, "gold", page.id)
    with pytest.raises(NotFound):
        await payments.create(user("stranger"), "premium", page.id)


@pytest.mark.parametrize(
    ("tampering", "error"),
    [
        ({"amount_total": 100}, PaymentAmountMismatch),
        ({"currency": "USD"}, PaymentCurrencyMismatch),
        ({"store_id": "other-store"}, PaymentStoreMismatch),
    ],
)
async def test_tampered_payments_pay_nothing(tampering: dict[str, Any], error: type) -> None:
    payments, buyer = Payments(), user()
    order = await payments.create(buyer, "premium", (await payments.page(buyer)).id)
    payments.pay(order.payment_id, **tampering)
    with pytest.raises(error):
        await payments.complete(buyer, order.id, order.payment_id)
    # The reconciliation passes over it and settles the rest of its batch.
    other = user("other")
    honest = await payments.create(other, "premium", (await payments.page(other)).id)
    payments.pay(honest.payment_id)
    assert await payments.reconcile() == 1
    assert (await payments.orders.get(honest.id)).status is OrderStatus.PAID  # type: ignore[union-attr]
    assert (await payments.orders.get(order.id)).status is OrderStatus.PENDING  # type: ignore[union-attr]
    assert await payments.orders.events(order.id) == []
    # A webhook is taken (a retry cannot mend it) and leaves the refusal in the order's log.
    outcome = await payments.webhook(
        order.payment_id.encode(), {"webhook-id": "w", "type": "Transaction.Paid"}
    )
    assert isinstance(outcome.refused, error)
    (event,) = await payments.orders.events(order.id)
    assert (event.from_status, event.to_status) == (OrderStatus.PENDING, OrderStatus.PENDING)
    assert (event.source, event.detail["refused"]) == (EventSource.WEBHOOK, error.code)
    assert (await payments.orders.get(order.id)).status is OrderStatus.PENDING  # type: ignore[union-attr]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["complete", "webhook", "replay", "reconcile"]), min_size=1,
                max_size=8))  # fmt: skip
async def test_any_sequence_of_syncs_makes_one_paid_transition(calls: list[str]) -> None:
    payments, buyer = Payments(), user()
    order = await payments.create(buyer, "premium", (await payments.page(buyer)).id)
    payments.pay(order.payment_id)
    for index, call in enumerate(calls):
        if call == "complete":
            await payments.complete(buyer, order.id, order.payment_id)
        elif call == "reconcile":
            await payments.reconcile()
        else:
            webhook_id = "same" if call == "replay" else f"w{index}"
            headers = {"webhook-id": webhook_id, "type": "Transaction.Paid"}
            await payments.webhook(order.payment_id.encode(), headers)
    events = await payments.orders.events(order.id)
    assert [e.to_status for e in events] == [OrderStatus.PAID]
    assert events[0].source is EventSource(
        {"complete": "complete", "reconcile": "reconciliation"}.get(calls[0], "webhook")
    )


async def test_unknown_webhooks_are_accepted_and_ignored() -> None:
    payments = Payments()
    assert (await payments.webhook(b"", {"webhook-id": "x", "type": "BillingKey.Issued"})).new
    assert not (await payments.webhook(b"", {"webhook-id": "x", "type": "BillingKey.Issued"})).new
    assert (await payments.webhook(b"unknown", {"webhook-id": "y", "type": "Transaction.Paid"})).new


async def test_refunds_are_for_admins_audited_and_a_full_one_takes_premium_back() -> None:
    payments, buyer, admin = Payments(), user(), user("ops", Role.ADMIN)
    page = await payments.page(buyer)
    order = await payments.create(buyer, "premium", page.id)
    with pytest.raises(NotRefundable):
        await payments.refund(admin, order.id, reason="not paid", amount=None)
    payments.pay(order.payment_id)
    await payments.complete(buyer, order.id, order.payment_id)
    with pytest.raises(AdminOnly):
        await payments.refund(buyer, order.id, reason="mine", amount=None)
    partial = await payments.refund(admin, order.id, reason="half", amount=4900)
    assert (partial.status, partial.cancelled_amount) == (OrderStatus.PARTIALLY_CANCELLED, 4900)
    assert (await payments.pages.get(page.id)).plan is Plan.PREMIUM  # type: ignore[union-attr]
    assert [e.by for e in payments.events.events] == ["user"]  # a partial refund keeps the plan
    full = await payments.refund(admin, order.id, reason="rest", amount=None)
    assert (full.status, full.cancelled_amount) == (OrderStatus.CANCELLED, 9900)
    assert (await payments.pages.get(page.id)).plan is Plan.FREE  # type: ignore[union-attr]
    assert payments.events.events[-1] == PageEvent(page.id, 1, ("plan",), "admin")
    assert [c[1] for c in payments.gateway.cancels] == [4900, None]
    audit = await payments.audit.newest(limit=10, before=None)
    assert [(e.actor_id, e.action) for e in audit] == [("ops", "payments.refund")] * 2


def test_the_free_plan_refuses_growing_past_its_limits() -> None:
    policy = PagePolicy(gallery_max=30, free_gallery_max=2)
    few, many = PageContent(gallery=("a", "b")), PageContent(gallery=("a", "b", "c"))
    ensure_plan_allows(Plan.FREE, PageContent(), few, policy)
    with pytest.raises(PremiumRequired):
        ensure_plan_allows(Plan.FREE, few, many, policy)
    ensure_plan_allows(Plan.PREMIUM, few, many, policy)
    # A page that lost premium keeps its photos and may still shrink the gallery.
    ensure_plan_allows(Plan.FREE, many, PageContent(gallery=("a", "c", "b")), policy)
    ensure_plan_allows(Plan.FREE, many, few, policy)
    music = PageContent(music=Music(file_id="song"))
    with pytest.raises(PremiumRequired):
        ensure_plan_allows(Plan.FREE, PageContent(), music, policy)
    ensure_plan_allows(Plan.FREE, music, music, policy)
    ensure_plan_allows(Plan.PREMIUM, PageContent(), music, policy)
