"""Refusals of the payments context, each with a stable code."""

from __future__ import annotations

from mocheong_core.errors import Conflict, DomainError, NotFound, ServiceUnavailable


class ProductNotFound(NotFound):
    code = "product_not_found"
    title = "No such product"


class OrderNotFound(NotFound):
    code = "order_not_found"
    title = "No such order"


class PaymentMismatch(DomainError):
    """The gateway's payment does not match the order: possible tampering, nothing is paid."""

    code = "payment_mismatch"
    title = "The payment does not match the order"


class PaymentAmountMismatch(PaymentMismatch):
    code = "payment_amount_mismatch"
    title = "The amount paid is not the order's amount"


class PaymentCurrencyMismatch(PaymentMismatch):
    code = "payment_currency_mismatch"
    title = "The payment's currency is not the order's"


class PaymentStoreMismatch(PaymentMismatch):
    code = "payment_store_mismatch"
    title = "The payment belongs to another store"


class PaymentIdMismatch(PaymentMismatch):
    code = "payment_id_mismatch"
    title = "The payment id is not the order's"


class PaymentNotFound(DomainError):
    code = "payment_not_found"
    title = "The gateway knows no such payment yet"


class NotRefundable(Conflict):
    code = "not_refundable"
    title = "The order cannot be refunded"


class RefundTooLarge(Conflict):
    code = "refund_too_large"
    title = "The refund is larger than what remains of the payment"


class GatewayUnavailable(ServiceUnavailable):
    code = "gateway_unavailable"
    title = "The payment gateway is unavailable"


class GatewayRefused(DomainError):
    code = "gateway_refused"
    title = "The payment gateway refused the request"


class InvalidWebhook(DomainError):
    code = "invalid_webhook_signature"
    title = "The webhook signature is not valid"
