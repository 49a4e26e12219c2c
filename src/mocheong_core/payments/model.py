"""Products, orders and their state machine, and what a gateway reports of a payment.

Amounts are integers in the currency's smallest unit (KRW has none below the won); an order's
amount is fixed from the catalog when the server creates it and is never read from a client.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from mocheong_core.payments.errors import (
    PaymentAmountMismatch,
    PaymentCurrencyMismatch,
    PaymentIdMismatch,
    PaymentStoreMismatch,
)


@attrs.frozen
class Product:
    code: str
    name: str
    amount: int
    currency: str = "KRW"
    grants_premium: bool = True


class OrderStatus(enum.StrEnum):
    PENDING = "pending"
    VIRTUAL_ACCOUNT_ISSUED = "virtual_account_issued"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PARTIALLY_CANCELLED = "partially_cancelled"


TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.PAID, OrderStatus.FAILED, OrderStatus.VIRTUAL_ACCOUNT_ISSUED}
    ),
    OrderStatus.VIRTUAL_ACCOUNT_ISSUED: frozenset({OrderStatus.PAID, OrderStatus.FAILED}),
    OrderStatus.PAID: frozenset({OrderStatus.CANCELLED, OrderStatus.PARTIALLY_CANCELLED}),
    OrderStatus.PARTIALLY_CANCELLED: frozenset(
        {OrderStatus.CANCELLED, OrderStatus.PARTIALLY_CANCELLED}
    ),
    OrderStatus.FAILED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
# A partial refund after a partial refund stays partially_cancelled with a larger cancelled
# amount: the same status, a new event.

UNSETTLED = (OrderStatus.PENDING, OrderStatus.VIRTUAL_ACCOUNT_ISSUED)


class EventSource(enum.StrEnum):
    COMPLETE = "complete"
    WEBHOOK = "webhook"
    RECONCILIATION = "reconciliation"
    ADMIN = "admin"


class GatewayStatus(enum.StrEnum):
    """PortOne V2's ``Payment.status`` values."""

    READY = "READY"
    PAY_PENDING = "PAY_PENDING"
    VIRTUAL_ACCOUNT_ISSUED = "VIRTUAL_ACCOUNT_ISSUED"
    PAID = "PAID"
    FAILED = "FAILED"
    PARTIAL_CANCELLED = "PARTIAL_CANCELLED"
    CANCELLED = "CANCELLED"


@attrs.frozen
class GatewayPayment:
    """What the gateway says of one payment, fetched by the server (never sent by a client)."""

    payment_id: str
    status: GatewayStatus
    amount_total: int
    amount_cancelled: int
    currency: str
    store_id: str | None


@attrs.define
class Order:
    id: str
    user_id: str
    page_id: str
    product_code: str
    order_name: str
    payment_id: str
    amount: int
    currency: str
    status: OrderStatus
    cancelled_amount: int
    sandbox: bool
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None = None

    @property
    def cancellable_amount(self) -> int:
        return self.amount - self.cancelled_amount if self.paid_at else 0

    def check_matches(self, payment: GatewayPayment, store_id: str | None) -> None:
        """Raises the precise mismatch when ``payment`` is not this order's payment."""
        if payment.payment_id != self.payment_id:
            raise PaymentIdMismatch(f"Payment {payment.payment_id} is not this order's")
        if store_id is not None and payment.store_id != store_id:
            raise PaymentStoreMismatch
        if payment.currency != self.currency:
            raise PaymentCurrencyMismatch(
                f"Paid in {payment.currency}, the order is in {self.currency}"
            )
        if payment.amount_total != self.amount:
            raise PaymentAmountMismatch(
                f"Paid {payment.amount_total} {payment.currency}, the order is {self.amount}"
            )

    def target_of(self, payment: GatewayPayment) -> tuple[OrderStatus, int] | None:
        """The status and cancelled amount ``payment`` moves this order to, or None to stay."""
        wanted = _STATUS_OF[payment.status]
        cancelled = payment.amount_cancelled
        if wanted is None:
            return None
        if wanted is self.status and cancelled == self.cancelled_amount:
            return None
        if wanted is not self.status and wanted not in TRANSITIONS[self.status]:
            return None
        if wanted is self.status and wanted is not OrderStatus.PARTIALLY_CANCELLED:
            return None
        return wanted, cancelled


_STATUS_OF: dict[GatewayStatus, OrderStatus | None] = {
    GatewayStatus.READY: None,
    GatewayStatus.PAY_PENDING: None,
    GatewayStatus.VIRTUAL_ACCOUNT_ISSUED: OrderStatus.VIRTUAL_ACCOUNT_ISSUED,
    GatewayStatus.PAID: OrderStatus.PAID,
    GatewayStatus.FAILED: OrderStatus.FAILED,
    GatewayStatus.PARTIAL_CANCELLED: OrderStatus.PARTIALLY_CANCELLED,
    GatewayStatus.CANCELLED: OrderStatus.CANCELLED,
}


@attrs.frozen
class OrderEvent:
    """One transition of an order, appended and never changed."""

    id: str
    order_id: str
    from_status: OrderStatus
    to_status: OrderStatus
    source: EventSource
    at: datetime
    detail: dict[str, Any] = attrs.field(factory=dict)
