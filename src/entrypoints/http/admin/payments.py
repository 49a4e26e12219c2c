"""Administration of payments: every order, and refunds through the gateway."""

from __future__ import annotations

from typing import Annotated

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from entrypoints.http.api.payments import Cursor, Limit, OrderList, OrderOut
from entrypoints.http.auth import BEARER, CurrentUser
from mocheong_core.payments.model import OrderStatus
from mocheong_core.payments.usecases import AdminListOrders, RefundOrder


class RefundIn(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    amount: Annotated[int, msgspec.Meta(ge=1)] | None = None


class AdminPaymentsController(Controller):
    path = "/api/admin/payments"
    tags = ["admin"]  # noqa: RUF012
    security = BEARER

    @get("/")
    @inject
    async def list_payments(
        self,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[AdminListOrders],
        limit: Limit = 20,
        cursor: Cursor = None,
        status: FromQuery[OrderStatus | None] = None,
        user_id: FromQuery[str | None] = None,
    ) -> OrderList:
        page = await usecase(user, limit=limit, cursor=cursor, status=status, user_id=user_id)
        return OrderList([OrderOut.of(o) for o in page.items], page.next_cursor)

    @post("/{order_id:str}/cancel", status_code=200)
    @inject
    async def refund(
        self,
        order_id: FromPath[str],
        data: JSONBody[RefundIn],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[RefundOrder],
    ) -> OrderOut:
        """A full (no ``amount``) or partial refund through the gateway, with a reason."""
        return OrderOut.of(await usecase(user, order_id, reason=data.reason, amount=data.amount))
