"""What the payments context needs from outside: its stores, the gateway, the pages' plan."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import attrs

from mocheong_core.pages.ports import ChangedBy
from mocheong_core.payments.model import (
    GatewayPayment,
    Order,
    OrderEvent,
    OrderStatus,
)


@attrs.frozen
class Cancellation:
    """What the gateway reports of one cancellation: the amount it gave back."""

    payment_id: str
    amount: int


class PaymentGateway(Protocol):
    store_id: str | None
    """The store every payment must belong to (None for the sandbox, which has no store)."""

    sandbox: bool

    async def get_payment(self, payment_id: str) -> GatewayPayment | None:
        """The payment as the gateway has it, or None when it knows no such payment.

        Raises ``GatewayUnavailable`` on timeouts, network errors and 5xx answers (after the
        adapter's retries), ``GatewayRefused`` on any other refusal.
        """
        ...

    async def pre_register(self, payment_id: str, amount: int, currency: str) -> None:
        """Tells the gateway the amount to expect, so a tampered browser call fails there too."""
        ...

    async def cancel(
        self,
        payment_id: str,
        *,
        reason: str,
        amount: int | None,
        current_cancellable_amount: int,
        idempotency_key: str,
    ) -> Cancellation:
        """Cancels all (``amount`` None) or part of a payment, once per ``idempotency_key``."""
        ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> None: ...

    async def get(self, order_id: str) -> Order | None: ...

    async def by_payment_id(self, payment_id: str) -> Order | None: ...

    async def transition(self, order: Order, from_status: OrderStatus) -> bool:
        """Stores ``order``'s status, cancelled amount and times only if the stored status is
        still ``from_status`` and the stored cancelled amount is lower or equal; True when it
        did. This conditional write is what makes a transition happen exactly once among
        concurrent callers (Postgres re-checks the condition after the row lock)."""
        ...

    async def newest(
        self,
        *,
        limit: int,
        before: str | None,
        user_id: str | None = None,
        status: OrderStatus | None = None,
    ) -> list[Order]:
        """Orders newest first, filtered by owner and status."""
        ...

    async def unsettled(self, *, older_than: datetime, limit: int) -> list[Order]:
        """Orders still pending or awaiting a virtual account deposit, created then or before."""
        ...

    async def append_event(self, event: OrderEvent) -> None: ...

    async def events(self, order_id: str) -> list[OrderEvent]: ...

    async def revenue_by_day(self) -> list[tuple[str, int]]:
        """(day in UTC as ``YYYY-MM-DD``, paid amount minus refunds) of real (not sandbox)
        paid orders."""
        ...


class WebhookReceipts(Protocol):
    async def first_time(self, webhook_id: str, at: datetime) -> bool:
        """Records ``webhook_id``; False when it was recorded before (a replay)."""
        ...


class PagePlans(Protocol):
    """The pages a plan is bought for: their owner, and switching their plan."""

    async def owner_of(self, page_id: str) -> str | None: ...

    async def set_premium(self, page_id: str, premium: bool) -> None:
        """Switches the plan in the open transaction."""

    async def announce(self, by: ChangedBy) -> None:
        """After the commit: tells the pages' listeners (the public-page cache of every
        process, the studio's room) of the switches made since the last call."""


@attrs.frozen
class WebhookEvent:
    """A verified webhook: its id (the replay key), its type and the payment it is about."""

    id: str
    type: str
    payment_id: str | None


class WebhookVerifier(Protocol):
    def verify(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event of a webhook whose signature holds over the raw ``body``; raises
        ``InvalidWebhook`` for a missing, wrong or stale signature."""
        ...
