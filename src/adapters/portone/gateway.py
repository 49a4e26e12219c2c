"""``PortOneGateway``: PortOne's V2 REST API over httpx.

Why not ``portone-server-sdk``'s generated client (0.21): it sends no ``Idempotency-Key``,
fixes a 60 s timeout and never retries, and the three calls used here are small. The SDK
still verifies the webhooks (``adapters.portone.webhooks``).

Every POST carries an ``Idempotency-Key``, so a retry after a lost answer does nothing twice;
requests are retried on network errors and 5xx answers only, with a growing pause.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx

from mocheong_core.payments.errors import GatewayRefused, GatewayUnavailable
from mocheong_core.payments.model import GatewayPayment, GatewayStatus
from mocheong_core.payments.ports import Cancellation

DEFAULT_API_BASE = "https://api.portone.io"


class PortOneGateway:
    sandbox = False

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        api_base: str,
        api_secret: str,
        store_id: str | None,
        retries: int = 2,
        backoff: float = 0.2,
    ) -> None:
        self._client, self._base = client, api_base.rstrip("/")
        self._auth = {"Authorization": f"PortOne {api_secret}"}
        self.store_id = store_id
        self._retries, self._backoff = retries, backoff

    async def get_payment(self, payment_id: str) -> GatewayPayment | None:
        params = {"storeId": self.store_id} if self.store_id else None
        response = await self._send("GET", _path(payment_id), params=params)
        if response.status_code == 404:
            return None
        body = self._ok(response)
        return payment_of(body)

    async def pre_register(self, payment_id: str, amount: int, currency: str) -> None:
        body: dict[str, Any] = {"totalAmount": amount, "currency": currency}
        if self.store_id:
            body["storeId"] = self.store_id
        response = await self._send(
            "POST",
            _path(payment_id) + "/pre-register",
            json=body,
            idempotency_key=f"pre-register-{payment_id}",
        )
        # Already registered (a retry whose first answer was lost) is what we asked for.
        if response.status_code == 409:
            return
        self._ok(response)

    async def cancel(
        self,
        payment_id: str,
        *,
        reason: str,
        amount: int | None,
        current_cancellable_amount: int,
        idempotency_key: str,
    ) -> Cancellation:
        body: dict[str, Any] = {
            "reason": reason,
            "currentCancellableAmount": current_cancellable_amount,
        }
        if amount is not None:
            body["amount"] = amount
        if self.store_id:
            body["storeId"] = self.store_id
        response = await self._send(
            "POST", _path(payment_id) + "/cancel", json=body, idempotency_key=idempotency_key
        )
        cancellation = self._ok(response).get("cancellation") or {}
        return Cancellation(payment_id, int(cancellation.get("totalAmount", 0)))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        headers = dict(self._auth)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        attempt = 0
        while True:
            try:
                response = await self._client.request(
                    method, self._base + path, params=params, json=json, headers=headers
                )
            except httpx.TransportError as exc:
                failure = f"PortOne did not answer: {type(exc).__name__}"
            else:
                if response.status_code < 500:
                    return response
                failure = f"PortOne answered {response.status_code}"
            if attempt >= self._retries:
                raise GatewayUnavailable(failure)
            await asyncio.sleep(self._backoff * 2**attempt)
            attempt += 1

    @staticmethod
    def _ok(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code != 200:
            kind = body.get("type", "UNKNOWN") if isinstance(body, dict) else "UNKNOWN"
            message = body.get("message", "") if isinstance(body, dict) else ""
            raise GatewayRefused(f"PortOne refused ({response.status_code} {kind}): {message}")
        if not isinstance(body, dict):
            raise GatewayRefused("PortOne answered with something other than an object")
        return body


def _path(payment_id: str) -> str:
    return f"/payments/{quote(payment_id, safe='')}"


def payment_of(body: dict[str, Any]) -> GatewayPayment:
    """A V2 ``Payment`` object read into the domain's terms (unknown statuses are refused)."""
    try:
        amount = body["amount"]
        return GatewayPayment(
            payment_id=str(body["id"]),
            status=GatewayStatus(body["status"]),
            amount_total=int(amount["total"]),
            amount_cancelled=int(amount.get("cancelled", 0)),
            currency=str(body["currency"]),
            store_id=body.get("storeId"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GatewayRefused(f"PortOne's payment could not be read: {exc!r}") from None
