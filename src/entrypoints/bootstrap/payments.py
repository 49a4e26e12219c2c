"""dishka wiring of the payments context: the catalog from the settings, the gateway the
settings pick (PortOne V2, or the local sandbox when no API secret is set), its webhook
verifier, the SQL stores and the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
from dishka import AsyncContainer, Provider, Scope, provide, provide_all

from adapters.portone.gateway import PortOneGateway
from adapters.portone.sandbox import SandboxGateway
from adapters.portone.webhooks import PortOneWebhookVerifier
from adapters.sqla.repos.payments import SqlaAuditLog, SqlaOrderRepository, SqlaWebhookReceipts
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.reconciler import PaymentsReconciler
from mocheong_core.kernel.audit import AuditLog
from mocheong_core.kernel.clock import Clock
from mocheong_core.payments.catalog import Catalog
from mocheong_core.payments.model import Product
from mocheong_core.payments.ports import (
    OrderRepository,
    PagePlans,
    PaymentGateway,
    WebhookReceipts,
    WebhookVerifier,
)
from mocheong_core.payments.premium import PagesPlans
from mocheong_core.payments.usecases import (
    AdminListOrders,
    CompleteOrder,
    CreateOrder,
    ListMyOrders,
    ListProducts,
    ReceiveWebhook,
    Reconcile,
    RefundOrder,
    SettleOrder,
    SyncPayment,
)

PREMIUM = "premium"


class PaymentsProvider(Provider):
    orders = provide(SqlaOrderRepository, scope=Scope.REQUEST, provides=OrderRepository)
    receipts = provide(SqlaWebhookReceipts, scope=Scope.REQUEST, provides=WebhookReceipts)
    audit = provide(SqlaAuditLog, scope=Scope.REQUEST, provides=AuditLog)
    plans = provide(PagesPlans, scope=Scope.REQUEST, provides=PagePlans)
    usecases = provide_all(
        CreateOrder, SettleOrder, CompleteOrder, SyncPayment, ReceiveWebhook, ListMyOrders,
        AdminListOrders, RefundOrder, scope=Scope.REQUEST,
    )  # fmt: skip
    list_products = provide(ListProducts, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def catalog(self, settings: Settings) -> Catalog:
        return Catalog(
            [Product(PREMIUM, "모청 프리미엄 (청첩장 1개)", settings.payments.premium_price_krw)]
        )

    @provide(scope=Scope.APP)
    def webhook_verifier(self, settings: Settings) -> WebhookVerifier:
        secrets = [s.strip() for s in settings.payments.portone_webhook_secret.split(",")]
        return PortOneWebhookVerifier(secrets)

    @provide(scope=Scope.REQUEST)
    def reconcile(
        self, settings: Settings, orders: OrderRepository, settle: SettleOrder, clock: Clock
    ) -> Reconcile:
        return Reconcile(
            orders,
            settle,
            clock,
            timedelta(seconds=settings.payments.reconcile_after),
            settings.payments.reconcile_batch,
        )

    @provide(scope=Scope.APP)
    def reconciler(self, settings: Settings, container: AsyncContainer) -> PaymentsReconciler:
        return PaymentsReconciler(container, settings.payments.reconcile_interval)


class PortOneProvider(Provider):
    @provide(scope=Scope.APP)
    async def http_client(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=settings.payments.portone_timeout) as client:
            yield client

    @provide(scope=Scope.APP)
    def gateway(self, settings: Settings, client: httpx.AsyncClient) -> PaymentGateway:
        return PortOneGateway(
            client,
            api_base=settings.payments.portone_api_base,
            api_secret=settings.payments.portone_api_secret,
            store_id=settings.payments.portone_store_id,
            retries=settings.payments.portone_retries,
        )


class SandboxPaymentsProvider(Provider):
    gateway = provide(SandboxGateway, scope=Scope.APP, provides=PaymentGateway)


def payments_providers(settings: Settings) -> list[Provider]:
    gateway = SandboxPaymentsProvider() if settings.payments.uses_sandbox else PortOneProvider()
    return [PaymentsProvider(), gateway]


def add_payments_hooks(
    hooks: LifecycleHooks, settings: Settings, container: AsyncContainer
) -> None:
    """In the embedded mode the API process reconciles payments; with Redis the worker does
    (``entrypoints.worker.app``)."""
    if settings.broker.uses_redis:
        return

    async def start() -> None:
        await (await container.get(PaymentsReconciler)).start()

    async def stop() -> None:
        await (await container.get(PaymentsReconciler)).stop()

    hooks.on_start(start)
    hooks.on_stop(stop)
