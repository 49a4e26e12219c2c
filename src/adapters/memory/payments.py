"""In-memory twins of the payments stores, for unit tests and importing teams."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import attrs

from mocheong_core.kernel.audit import AuditEntry
from mocheong_core.payments.model import UNSETTLED, Order, OrderEvent, OrderStatus


class InMemoryOrderRepository:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._events: list[OrderEvent] = []

    def snapshot(self) -> object:
        return ({k: attrs.evolve(o) for k, o in self._orders.items()}, list(self._events))

    def restore(self, state: object) -> None:
        orders, events = cast(tuple[dict[str, Order], list[OrderEvent]], state)
        self._orders = {k: attrs.evolve(o) for k, o in orders.items()}
        self._events = list(events)

    async def add(self, order: Order) -> None:
        self._orders[order.id] = attrs.evolve(order)

    async def get(self, order_id: str) -> Order | None:
        order = self._orders.get(order_id)
        return attrs.evolve(order) if order else None

    async def by_payment_id(self, payment_id: str) -> Order | None:
        for order in self._orders.values():
            if order.payment_id == payment_id:
                return attrs.evolve(order)
        return None

    async def transition(self, order: Order, from_status: OrderStatus) -> bool:
        stored = self._orders.get(order.id)
        if stored is None or stored.status is not from_status:
            return False
        if stored.cancelled_amount > order.cancelled_amount:
            return False
        self._orders[order.id] = attrs.evolve(order)
        return True

    async def newest(
        self,
        *,
        limit: int,
        before: str | None,
        user_id: str | None = None,
        status: OrderStatus | None = None,
    ) -> list[Order]:
        found = [
            attrs.evolve(o)
            for o in sorted(self._orders.values(), key=lambda o: o.id, reverse=True)
            if (before is None or o.id < before)
            and (user_id is None or o.user_id == user_id)
            and (status is None or o.status is status)
        ]
        return found[:limit]

    async def unsettled(self, *, older_than: datetime, limit: int) -> list[Order]:
        found = [
            attrs.evolve(o)
            for o in sorted(self._orders.values(), key=lambda o: o.id)
            if o.status in UNSETTLED and o.created_at <= older_than
        ]
        return found[:limit]

    async def append_event(self, event: OrderEvent) -> None:
        self._events.append(event)

    async def events(self, order_id: str) -> list[OrderEvent]:
        return [e for e in self._events if e.order_id == order_id]

    async def revenue_by_day(self) -> list[tuple[str, int]]:
        days: dict[str, int] = {}
        for o in self._orders.values():
            if o.paid_at is not None and not o.sandbox:
                day = o.paid_at.date().isoformat()
                days[day] = days.get(day, 0) + o.amount - o.cancelled_amount
        return sorted(days.items())


class InMemoryWebhookReceipts:
    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}

    def snapshot(self) -> object:
        return dict(self._seen)

    def restore(self, state: object) -> None:
        self._seen = dict(cast(dict[str, datetime], state))

    async def first_time(self, webhook_id: str, at: datetime) -> bool:
        if webhook_id in self._seen:
            return False
        self._seen[webhook_id] = at
        return True


class InMemoryAuditLog:
    def __init__(self) -> None:
        self._entries: list[AuditEntry] = []

    def snapshot(self) -> object:
        return list(self._entries)

    def restore(self, state: object) -> None:
        self._entries = list(cast(list[AuditEntry], state))

    async def append(self, entry: AuditEntry) -> None:
        self._entries.append(entry)

    async def newest(self, *, limit: int, before: str | None) -> Sequence[AuditEntry]:
        found = [e for e in reversed(self._entries) if before is None or e.id < before]
        return found[:limit]
