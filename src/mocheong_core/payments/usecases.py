"""Orders: created by the server at the catalog's price, settled from what the gateway says.

Every way an order learns of its payment (the client's complete call, a webhook, the periodic
reconciliation, an admin's refund) goes through ``SettleOrder``: it fetches the payment from
the gateway, refuses one that does not match the order, and moves the order with a
conditional write, so of any number of concurrent or repeated callers exactly one makes the
transition and appends its event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import attrs

from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import require_admin
from mocheong_core.errors import NotFound
from mocheong_core.kernel.audit import AuditEntry, AuditLog
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage, page_by_id
from mocheong_core.kernel.uow import UnitOfWork
from mocheong_core.payments.catalog import Catalog
from mocheong_core.payments.errors import (
    NotRefundable,
    OrderNotFound,
    PaymentIdMismatch,
    PaymentMismatch,
    PaymentNotFound,
    RefundTooLarge,
)
from mocheong_core.payments.model import (
    EventSource,
    Order,
    OrderEvent,
    OrderStatus,
    Product,
)
from mocheong_core.payments.ports import (
    OrderRepository,
    PagePlans,
    PaymentGateway,
    WebhookReceipts,
    WebhookVerifier,
)

REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_CANCELLED)


class ListProducts:
    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __call__(self) -> list[Product]:
        return self._catalog.all()


class CreateOrder:
    """An order for one of the caller's pages; its amount comes from the catalog alone."""

    def __init__(
        self,
        catalog: Catalog,
        orders: OrderRepository,
        pages: PagePlans,
        gateway: PaymentGateway,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._catalog, self._orders, self._pages = catalog, orders, pages
        self._gateway, self._uow, self._clock = gateway, uow, clock

    async def __call__(self, user: User, product_code: str, page_id: str) -> Order:
        product = self._catalog.get(product_code)
        if await self._pages.owner_of(page_id) != user.id:
            raise NotFound("No such page")
        now = self._clock.now()
        order_id = new_id()
        order = Order(
            id=order_id,
            user_id=user.id,
            page_id=page_id,
            product_code=product.code,
            order_name=product.name,
            # PortOne's paymentId: unique per store, chosen by us, so the order is found again
            # from any webhook or fetch.
            payment_id=f"mocheong-{order_id}",
            amount=product.amount,
            currency=product.currency,
            status=OrderStatus.PENDING,
            cancelled_amount=0,
            sandbox=self._gateway.sandbox,
            created_at=now,
            updated_at=now,
        )
        await self._orders.add(order)
        await self._gateway.pre_register(order.payment_id, order.amount, order.currency)
        await self._uow.commit()
        return order


class SettleOrder:
    """Moves an order to what the gateway says of its payment, once, whoever asks."""

    def __init__(
        self,
        orders: OrderRepository,
        gateway: PaymentGateway,
        pages: PagePlans,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._orders, self._gateway, self._pages = orders, gateway, pages
        self._uow, self._clock = uow, clock

    async def __call__(self, order: Order, source: EventSource) -> Order:
        payment = await self._gateway.get_payment(order.payment_id)
        if payment is None:
            raise PaymentNotFound(f"The gateway has no payment {order.payment_id}")
        order.check_matches(payment, self._gateway.store_id)
        target = order.target_of(payment)
        if target is None:
            await self._uow.commit()
            return order
        status, cancelled = target
        return await move(
            self._orders,
            self._pages,
            self._uow,
            order,
            status,
            cancelled,
            source,
            self._clock,
            {"gateway_status": payment.status.value},
        )


async def move(
    orders: OrderRepository,
    pages: PagePlans,
    uow: UnitOfWork,
    order: Order,
    status: OrderStatus,
    cancelled: int,
    source: EventSource,
    clock: Clock,
    detail: dict[str, object],
) -> Order:
    """One conditional transition with its event and its effect on the page's plan, committed;
    when another caller made it first, the order as that caller left it."""
    now = clock.now()
    before = order.status
    order.status, order.cancelled_amount, order.updated_at = status, cancelled, now
    if status is OrderStatus.PAID:
        order.paid_at = now
    if not await orders.transition(order, before):
        # Another caller moved it first; what this one wrote besides (a webhook's receipt,
        # an audit entry of a refund the gateway made) is still true, so it is kept.
        await uow.commit()
        current = await orders.get(order.id)
        if current is None:
            raise OrderNotFound
        return current
    await orders.append_event(
        OrderEvent(new_id(), order.id, before, status, source, now, dict(detail))
    )
    if status is OrderStatus.PAID:
        await pages.set_premium(order.page_id, True)
    elif status is OrderStatus.CANCELLED:
        await pages.set_premium(order.page_id, False)
    await uow.commit()
    await pages.announce("admin" if source is EventSource.ADMIN else "user")
    return order


class CompleteOrder:
    """The buyer's call after the browser SDK reports success: verified with the gateway."""

    def __init__(self, orders: OrderRepository, settle: SettleOrder) -> None:
        self._orders, self._settle = orders, settle

    async def __call__(self, user: User, order_id: str, payment_id: str) -> Order:
        order = await self._orders.get(order_id)
        if order is None or order.user_id != user.id:
            raise OrderNotFound
        if payment_id != order.payment_id:
            raise PaymentIdMismatch(f"Payment {payment_id} is not this order's")
        return await self._settle(order, EventSource.COMPLETE)


class SyncPayment:
    """A gateway's word (a webhook) that a payment changed: the order is synced from a fresh
    fetch, never from the webhook's body. Unknown payments are ignored.

    A fetched payment that does not match its order (possible tampering) moves nothing, as for
    the complete call, but is not an error here: the gateway would retry the delivery for days
    and no retry can mend the payment. The refusal is appended to the order's log (an event
    from its status to the same status) with the webhook's receipt, and raised again for the
    caller to report."""

    def __init__(
        self, orders: OrderRepository, settle: SettleOrder, uow: UnitOfWork, clock: Clock
    ) -> None:
        self._orders, self._settle, self._uow, self._clock = orders, settle, uow, clock

    async def __call__(self, payment_id: str) -> Order | None:
        order = await self._orders.by_payment_id(payment_id)
        if order is None:
            await self._uow.commit()
            return None
        try:
            return await self._settle(order, EventSource.WEBHOOK)
        except PaymentMismatch as exc:
            detail = {"refused": exc.code, "detail": exc.detail}
            await self._orders.append_event(
                OrderEvent(new_id(), order.id, order.status, order.status, EventSource.WEBHOOK,
                           self._clock.now(), detail)
            )  # fmt: skip
            await self._uow.commit()
            raise


class Reconcile:
    """Orders left unsettled past ``min_age`` are synced from the gateway (lost webhooks)."""

    def __init__(
        self, orders: OrderRepository, settle: SettleOrder, clock: Clock, min_age: timedelta,
        batch: int,
    ) -> None:  # fmt: skip
        self._orders, self._settle, self._clock = orders, settle, clock
        self.min_age, self._batch = min_age, batch

    async def __call__(self) -> int:
        """Returns how many orders changed status."""
        stale = await self._orders.unsettled(
            older_than=self._clock.now() - self.min_age, limit=self._batch
        )
        changed = 0
        for order in stale:
            before = order.status
            try:
                after = await self._settle(order, EventSource.RECONCILIATION)
            except (PaymentNotFound, PaymentMismatch):
                # Nothing to settle yet, or a payment that will never match (refused where the
                # buyer or the webhook brought it): the next orders of the batch still settle.
                continue
            changed += after.status is not before
        return changed


class ListMyOrders:
    def __init__(self, orders: OrderRepository) -> None:
        self._orders = orders

    async def __call__(self, user: User, *, limit: int, cursor: str | None) -> CursorPage[Order]:
        return page_by_id(
            await self._orders.newest(limit=limit + 1, before=cursor, user_id=user.id), limit
        )


class AdminListOrders:
    def __init__(self, orders: OrderRepository) -> None:
        self._orders = orders

    async def __call__(
        self,
        actor: User,
        *,
        limit: int,
        cursor: str | None,
        status: OrderStatus | None = None,
        user_id: str | None = None,
    ) -> CursorPage[Order]:
        require_admin(actor)
        items = await self._orders.newest(
            limit=limit + 1, before=cursor, status=status, user_id=user_id
        )
        return page_by_id(items, limit)


class RefundOrder:
    """An admin's full or partial refund through the gateway, with a reason, audited."""

    def __init__(
        self,
        orders: OrderRepository,
        gateway: PaymentGateway,
        pages: PagePlans,
        audit: AuditLog,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._orders, self._gateway, self._pages = orders, gateway, pages
        self._audit, self._uow, self._clock = audit, uow, clock

    async def __call__(
        self, actor: User, order_id: str, *, reason: str, amount: int | None
    ) -> Order:
        require_admin(actor)
        order = await self._orders.get(order_id)
        if order is None:
            raise OrderNotFound
        if order.status not in REFUNDABLE:
            raise NotRefundable(f"A {order.status.value} order cannot be refunded")
        remaining = order.cancellable_amount
        if amount is not None and amount > remaining:
            raise RefundTooLarge(f"{remaining} {order.currency} remain refundable")
        # The same refund asked twice (a double click, a retried request) carries the same key,
        # so the gateway cancels once.
        key = f"refund-{order.id}-{order.cancelled_amount}-{amount or remaining}"
        result = await self._gateway.cancel(
            order.payment_id,
            reason=reason,
            amount=amount,
            current_cancellable_amount=remaining,
            idempotency_key=key,
        )
        cancelled = min(order.cancelled_amount + result.amount, order.amount)
        status = (
            OrderStatus.CANCELLED if cancelled >= order.amount else OrderStatus.PARTIALLY_CANCELLED
        )
        now = self._clock.now()
        await self._audit.append(
            AuditEntry(
                new_id(),
                actor.id,
                "payments.refund",
                order.id,
                now,
                {"reason": reason, "amount": amount or remaining},
            )
        )
        return await move(
            self._orders,
            self._pages,
            self._uow,
            order,
            status,
            cancelled,
            EventSource.ADMIN,
            self._clock,
            {"reason": reason, "by": actor.id, "amount": amount or remaining},
        )


class ReceiveWebhook:
    """A gateway's webhook, verified over its raw body; the same webhook id twice is a no-op
    (its receipt is committed with the sync, so a delivery that failed is retried whole)."""

    def __init__(
        self,
        verifier: WebhookVerifier,
        receipts: WebhookReceipts,
        sync: SyncPayment,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._verifier, self._receipts, self._sync = verifier, receipts, sync
        self._uow, self._clock = uow, clock

    async def __call__(self, body: bytes, headers: Mapping[str, str]) -> WebhookOutcome:
        event = self._verifier.verify(body, headers)
        if not await self._receipts.first_time(event.id, self._clock.now()):
            return WebhookOutcome(new=False)
        if event.type.startswith("Transaction.") and event.payment_id:
            try:
                await self._sync(event.payment_id)
            except PaymentMismatch as exc:
                return WebhookOutcome(new=True, refused=exc)
        else:
            await self._uow.commit()
        return WebhookOutcome(new=True)


@attrs.frozen
class WebhookOutcome:
    new: bool
    """False for a webhook id seen before (nothing done)."""
    refused: PaymentMismatch | None = None
    """The mismatch of a payment that did not match its order (nothing paid, noted in the
    order's log): possible tampering, to report."""
