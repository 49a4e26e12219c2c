"""A fake PortOne V2 REST API: payments in every status, pre-registration, full and partial
cancellations with ``Idempotency-Key``, PortOne's error bodies, injected 5xx answers and slow
answers. Tests drive it like the buyer's browser would (``pay``) and read what the server
sent (``requests``).

Wire format from PortOne's V2 reference (and the ``portone-server-sdk`` 0.21 models):
``GET /payments/{paymentId}?storeId=`` answers a ``Payment`` with ``status``, ``id``,
``storeId``, ``amount.total`` / ``amount.cancelled`` and ``currency``; errors are
``{"type": "PAYMENT_NOT_FOUND", "message": ...}``; ``POST /payments/{id}/cancel`` answers
``{"cancellation": {"status": "SUCCEEDED", "totalAmount": ...}}``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.fakes.http import FakeServer, Reply, Request

SECRET = "fake-portone-api-secret"
STORE_ID = "store-fake-0001"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"fake-portone-webhook-key-32bytes").decode()


class FakePortOne(FakeServer):
    """Served with ``tests.fakes.http.in_thread``; ``requests`` are what the server sent."""

    def __init__(self) -> None:
        super().__init__(self._answer)
        self.payments: dict[str, dict[str, Any]] = {}
        self.registered: dict[str, dict[str, Any]] = {}
        self.failures: list[int] = []
        """Statuses answered (and consumed) before any real answer: injected 5xx."""
        self.delay = 0.0
        """Seconds every answer waits: a slow PortOne."""
        self._cancels: dict[str, tuple[int, Any]] = {}

    def pay(
        self,
        payment_id: str,
        *,
        status: str = "PAID",
        amount: int | None = None,
        currency: str | None = None,
        store_id: str = STORE_ID,
    ) -> None:
        """The buyer pays in the browser: by default the pre-registered amount, in full."""
        expected = self.registered.get(payment_id, {})
        self.payments[payment_id] = {
            "status": status,
            "id": payment_id,
            "transactionId": f"tx-{payment_id}",
            "merchantId": "merchant-fake",
            "storeId": store_id,
            "orderName": "모청 프리미엄",
            "amount": {
                "total": amount if amount is not None else expected.get("totalAmount", 0),
                "taxFree": 0,
                "vat": 0,
                "discount": 0,
                "paid": 0 if status != "PAID" else amount or expected.get("totalAmount", 0),
                "cancelled": 0,
                "cancelledTaxFree": 0,
            },
            "currency": currency or expected.get("currency", "KRW"),
            "customer": {},
            "requestedAt": "2027-05-15T04:00:00Z",
            "updatedAt": "2027-05-15T04:00:01Z",
            "statusChangedAt": "2027-05-15T04:00:01Z",
        }

    def sent(self, method: str, suffix: str = "") -> list[Request]:
        return [
            r
            for r in self.requests
            if r.method == method and urlsplit(r.path).path.endswith(suffix)
        ]

    async def _answer(self, request: Request, reply: Reply) -> None:
        await reply.json(*await self._handle(request))

    async def _handle(self, request: Request) -> tuple[int, Any]:
        method, target, headers = request.method, request.path, request.headers
        parts = urlsplit(target)
        payload: Any = request.json() if request.body else {}
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            return self.failures.pop(0), {"type": "INTERNAL", "message": "injected"}
        if headers.get("authorization") != f"PortOne {SECRET}":
            return 401, {"type": "UNAUTHORIZED", "message": "bad secret"}
        segments = [unquote(s) for s in parts.path.split("/") if s]
        if len(segments) < 2 or segments[0] != "payments":
            return 404, {"type": "NOT_FOUND", "message": target}
        payment_id = segments[1]
        action = segments[2] if len(segments) > 2 else ""
        if method == "GET" and not action:
            found = self.payments.get(payment_id)
            if found is None:
                return 404, {"type": "PAYMENT_NOT_FOUND", "message": "no such payment"}
            return 200, found
        if method == "POST" and action == "pre-register":
            if payment_id in self.payments:
                return 409, {"type": "ALREADY_PAID", "message": "paid"}
            self.registered[payment_id] = payload
            return 200, {}
        if method == "POST" and action == "cancel":
            return self._cancel(payment_id, headers.get("idempotency-key", ""), payload)
        return 405, {"type": "INVALID_REQUEST", "message": f"{method} {target}"}

    def _cancel(self, payment_id: str, key: str, body: dict[str, Any]) -> tuple[int, Any]:
        if key and key in self._cancels:
            return self._cancels[key]
        payment = self.payments.get(payment_id)
        if payment is None:
            return 404, {"type": "PAYMENT_NOT_FOUND", "message": "no such payment"}
        if payment["status"] not in ("PAID", "PARTIAL_CANCELLED"):
            return 409, {"type": "PAYMENT_NOT_PAID", "message": payment["status"]}
        amount = payment["amount"]
        remaining = amount["total"] - amount["cancelled"]
        if body.get("currentCancellableAmount", remaining) != remaining:
            return 409, {"type": "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN", "message": "changed"}
        given = body.get("amount", remaining)
        if given > remaining:
            return 400, {"type": "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT", "message": "too much"}
        amount["cancelled"] += given
        payment["status"] = (
            "CANCELLED" if amount["cancelled"] >= amount["total"] else ("PARTIAL_CANCELLED")
        )
        answer = (200, {"cancellation": {
            "status": "SUCCEEDED", "id": f"cancel-{len(self._cancels)}", "totalAmount": given,
            "taxFreeAmount": 0, "vatAmount": 0, "reason": body.get("reason"),
            "requestedAt": "2027-05-15T05:00:00Z",
        }})  # fmt: skip
        if key:
            self._cancels[key] = answer
        return answer


def signed_webhook(
    body: dict[str, Any],
    *,
    secret: str = WEBHOOK_SECRET,
    webhook_id: str = "msg_1",
    timestamp: int | None = None,
) -> tuple[bytes, dict[str, str]]:
    """A webhook as PortOne sends it: Standard Webhooks headers over the raw body."""
    raw = json.dumps(body).encode()
    at = str(int(time.time()) if timestamp is None else timestamp)
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{webhook_id}.{at}.".encode() + raw, hashlib.sha256).digest()
    return raw, {
        "webhook-id": webhook_id,
        "webhook-timestamp": at,
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
        "content-type": "application/json",
    }


def transaction_event(payment_id: str, kind: str = "Transaction.Paid") -> dict[str, Any]:
    return {
        "type": kind,
        "timestamp": "2027-05-15T04:00:02Z",
        "data": {"paymentId": payment_id, "storeId": STORE_ID, "transactionId": "tx"},
    }
