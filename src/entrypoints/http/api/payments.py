"""Payments: the catalog, orders for the PortOne browser SDK, completing an order, the
webhook PortOne calls, and the buyer's own orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
import structlog
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, get, post
from litestar.params import FromPath, JSONBody, Parameter

from entrypoints.bootstrap.settings import Settings
from entrypoints.http.auth import BEARER, CurrentUser
from mocheong_core.payments.errors import PaymentMismatch
from mocheong_core.payments.model import Order
from mocheong_core.payments.usecases import (
    CompleteOrder,
    CreateOrder,
    ListMyOrders,
    ListProducts,
    ReceiveWebhook,
)

log = structlog.get_logger("mocheong.payments")

Limit = Annotated[int, Parameter(ge=1, le=100)]
Cursor = Annotated[str | None, Parameter(max_length=64)]


class ProductOut(msgspec.Struct):
    code: str
    name: str
    amount: int
    currency: str


class OrderIn(msgspec.Struct, forbid_unknown_fields=True):
    product_code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    page_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class CheckoutOut(msgspec.Struct):
    """What the PortOne browser SDK's ``requestPayment`` needs (``sandbox``: no real money)."""

    order_id: str
    payment_id: str
    order_name: str
    amount: int
    currency: str
    store_id: str
    channel_key: str
    sandbox: bool


class CompleteIn(msgspec.Struct):
    payment_id: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class OrderOut(msgspec.Struct):
    id: str
    page_id: str
    product_code: str
    order_name: str
    payment_id: str
    amount: int
    cancelled_amount: int
    currency: str
    status: str
    sandbox: bool
    created_at: datetime
    updated_at: datetime
    paid_at: datetime | None
    user_id: str

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            id=order.id,
            page_id=order.page_id,
            product_code=order.product_code,
            order_name=order.order_name,
            payment_id=order.payment_id,
            amount=order.amount,
            cancelled_amount=order.cancelled_amount,
            currency=order.currency,
            status=order.status.value,
            sandbox=order.sandbox,
            created_at=order.created_at,
            updated_at=order.updated_at,
            paid_at=order.paid_at,
            user_id=order.user_id,
        )


class OrderList(msgspec.Struct):
    items: list[OrderOut]
    next_cursor: str | None


class WebhookOut(msgspec.Struct, omit_defaults=True):
    received: bool
    duplicate: bool
    refused: str | None = None
    """The mismatch code when the payment did not match its order (nothing was paid)."""


class PaymentsController(Controller):
    path = "/api/payments"
    tags = ["payments"]  # noqa: RUF012

    @get("/products")
    @inject
    async def list_products(self, usecase: FromDishka[ListProducts]) -> list[ProductOut]:
        return [ProductOut(p.code, p.name, p.amount, p.currency) for p in usecase()]

    @post("/orders", status_code=201, security=BEARER)
    @inject
    async def create_order(
        self,
        data: JSONBody[OrderIn],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[CreateOrder],
        settings: FromDishka[Settings],
    ) -> CheckoutOut:
        order = await usecase(user, data.product_code, data.page_id)
        return CheckoutOut(
            order_id=order.id,
            payment_id=order.payment_id,
            order_name=order.order_name,
            amount=order.amount,
            currency=order.currency,
            store_id=settings.payments.portone_store_id,
            channel_key=settings.payments.portone_channel_key,
            sandbox=order.sandbox,
        )

    @get("/orders", security=BEARER)
    @inject
    async def my_orders(
        self,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListMyOrders],
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> OrderList:
        page = await usecase(user, limit=limit, cursor=cursor)
        return OrderList([OrderOut.of(o) for o in page.items], page.next_cursor)

    @post("/orders/{order_id:str}/complete", status_code=200, security=BEARER)
    @inject
    async def complete_order(
        self,
        order_id: FromPath[str],
        data: JSONBody[CompleteIn],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[CompleteOrder],
    ) -> OrderOut:
        try:
            return OrderOut.of(await usecase(user, order_id, data.payment_id))
        except PaymentMismatch as exc:
            log.warning(
                "payment_tampering_suspected", code=exc.code, detail=exc.detail,
                order_id=order_id, user_id=user.id, payment_id=data.payment_id,
            )  # fmt: skip
            raise

    @post("/webhook", status_code=200)
    @inject
    async def webhook(
        self, request: Request[Any, Any, Any], usecase: FromDishka[ReceiveWebhook]
    ) -> WebhookOut:
        """PortOne's webhook: verified over the raw body before anything is read from it. A
        payment that does not match its order is taken (200, ``refused``: PortOne retries
        anything else, and no retry can mend it), logged, and pays nothing."""
        body = await request.body()
        headers = {name.lower(): value for name, value in request.headers.items()}
        outcome = await usecase(body, headers)
        if outcome.refused is not None:
            log.warning("payment_tampering_suspected", code=outcome.refused.code,
                        detail=outcome.refused.detail, source="webhook")  # fmt: skip
        refused = outcome.refused.code if outcome.refused is not None else None
        return WebhookOut(received=True, duplicate=not outcome.new, refused=refused)
