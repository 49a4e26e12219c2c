"""SQL stores of the payments context: orders (with the conditional transition that makes a
payment's ``paid`` happen once), their events, webhook receipts and the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.tables.payments import (
    audit_log,
    payment_order_events,
    payment_orders,
    webhook_receipts,
)
from mocheong_core.kernel.audit import AuditEntry
from mocheong_core.payments.model import (
    UNSETTLED,
    EventSource,
    Order,
    OrderEvent,
    OrderStatus,
)


def _order(row: sa.Row[Any]) -> Order:
    return Order(
        id=row.id,
        user_id=row.user_id,
        page_id=row.page_id,
        product_code=row.product_code,
        order_name=row.order_name,
        payment_id=row.payment_id,
        amount=row.amount,
        currency=row.currency,
        status=OrderStatus(row.status),
        cancelled_amount=row.cancelled_amount,
        sandbox=row.sandbox,
        created_at=row.created_at,
        updated_at=row.updated_at,
        paid_at=row.paid_at,
    )


class SqlaOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, order: Order) -> None:
        await self._session.execute(
            payment_orders.insert().values(
                id=order.id,
                user_id=order.user_id,
                page_id=order.page_id,
                product_code=order.product_code,
                order_name=order.order_name,
                payment_id=order.payment_id,
                amount=order.amount,
                currency=order.currency,
                status=order.status.value,
                cancelled_amount=order.cancelled_amount,
                sandbox=order.sandbox,
                created_at=order.created_at,
                updated_at=order.updated_at,
                paid_at=order.paid_at,
            )
        )

    async def _one(self, condition: sa.ColumnElement[bool]) -> Order | None:
        row = (await self._session.execute(payment_orders.select().where(condition))).first()
        return _order(row) if row else None

    async def get(self, order_id: str) -> Order | None:
        return await self._one(payment_orders.c.id == order_id)

    async def by_payment_id(self, payment_id: str) -> Order | None:
        return await self._one(payment_orders.c.payment_id == payment_id)

    async def transition(self, order: Order, from_status: OrderStatus) -> bool:
        # Of two transactions that read the same status, the second blocks on the row lock
        # and, once the first commits, Postgres re-checks this condition and matches no row.
        result = await self._session.execute(
            payment_orders.update()
            .where(
                payment_orders.c.id == order.id,
                payment_orders.c.status == from_status.value,
                payment_orders.c.cancelled_amount <= order.cancelled_amount,
            )
            .values(
                status=order.status.value,
                cancelled_amount=order.cancelled_amount,
                updated_at=order.updated_at,
                paid_at=order.paid_at,
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def newest(
        self,
        *,
        limit: int,
        before: str | None,
        user_id: str | None = None,
        status: OrderStatus | None = None,
    ) -> list[Order]:
        query = payment_orders.select().order_by(payment_orders.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(payment_orders.c.id < before)
        if user_id is not None:
            query = query.where(payment_orders.c.user_id == user_id)
        if status is not None:
            query = query.where(payment_orders.c.status == status.value)
        return [_order(row) for row in await self._session.execute(query)]

    async def unsettled(self, *, older_than: datetime, limit: int) -> list[Order]:
        query = (
            payment_orders.select()
            .where(
                payment_orders.c.status.in_([status.value for status in UNSETTLED]),
                payment_orders.c.created_at <= older_than,
            )
            .order_by(payment_orders.c.created_at)
            .limit(limit)
        )
        return [_order(row) for row in await self._session.execute(query)]

    async def append_event(self, event: OrderEvent) -> None:
        await self._session.execute(
            payment_order_events.insert().values(
                id=event.id,
                order_id=event.order_id,
                from_status=event.from_status.value,
                to_status=event.to_status.value,
                source=event.source.value,
                at=event.at,
                detail=event.detail,
            )
        )

    async def events(self, order_id: str) -> list[OrderEvent]:
        rows = await self._session.execute(
            payment_order_events.select()
            .where(payment_order_events.c.order_id == order_id)
            .order_by(payment_order_events.c.id)
        )
        return [
            OrderEvent(
                row.id,
                row.order_id,
                OrderStatus(row.from_status),
                OrderStatus(row.to_status),
                EventSource(row.source),
                row.at,
                row.detail,
            )
            for row in rows
        ]

    async def revenue_by_day(self) -> list[tuple[str, int]]:
        rows = await self._session.execute(
            sa.select(
                payment_orders.c.paid_at,
                payment_orders.c.amount - payment_orders.c.cancelled_amount,
            ).where(payment_orders.c.paid_at.is_not(None), payment_orders.c.sandbox.is_(False))
        )
        days: dict[str, int] = {}
        for paid_at, net in rows:
            day = paid_at.date().isoformat()
            days[day] = days.get(day, 0) + int(net)
        return sorted(days.items())


class SqlaWebhookReceipts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def first_time(self, webhook_id: str, at: datetime) -> bool:
        # A second delivery of the same id running at the same time waits on the first's
        # uncommitted row, then fails the unique key: still exactly one is processed.
        try:
            async with self._session.begin_nested():
                await self._session.execute(
                    webhook_receipts.insert().values(webhook_id=webhook_id, received_at=at)
                )
        except IntegrityError:
            return False
        return True


class SqlaAuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(self, entry: AuditEntry) -> None:
        await self._session.execute(
            audit_log.insert().values(
                id=entry.id,
                actor_id=entry.actor_id,
                action=entry.action,
                target=entry.target,
                at=entry.at,
                detail=entry.detail,
            )
        )

    async def newest(self, *, limit: int, before: str | None) -> Sequence[AuditEntry]:
        query = audit_log.select().order_by(audit_log.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(audit_log.c.id < before)
        return [
            AuditEntry(row.id, row.actor_id, row.action, row.target, row.at, row.detail)
            for row in await self._session.execute(query)
        ]
