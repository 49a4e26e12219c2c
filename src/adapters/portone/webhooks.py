"""Standard Webhooks signatures as PortOne sends them, checked by ``portone-server-sdk``.

The SDK's ``verify`` checks ``webhook-id``, ``webhook-timestamp`` (within 5 minutes of now)
and every ``v1,<base64>`` entry of ``webhook-signature`` against an HMAC-SHA256 of
``id.timestamp.body`` with a constant-time compare. During a secret rotation both secrets are
tried. The event is read from the raw JSON here rather than from the SDK's typed objects, so a
type this SDK version does not know is still accepted (and ignored).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from portone_server_sdk.webhook import InvalidInputError, WebhookVerificationError, verify

from mocheong_core.payments.errors import InvalidWebhook
from mocheong_core.payments.ports import WebhookEvent


class PortOneWebhookVerifier:
    def __init__(self, secrets: Sequence[str]) -> None:
        self._secrets = [secret for secret in secrets if secret]

    def verify(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        if not self._secrets:
            raise InvalidWebhook("No webhook secret is configured")
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise InvalidWebhook("The body is not UTF-8") from None
        wanted = {name: headers[name] for name in _HEADERS if name in headers}
        reason = "missing signature"
        for secret in self._secrets:
            try:
                verify(secret, text, wanted)
            except WebhookVerificationError as exc:
                reason = exc.reason
                if exc.reason in ("MISSING_REQUIRED_HEADERS", "TIMESTAMP_TOO_OLD",
                                  "TIMESTAMP_TOO_NEW"):  # fmt: skip
                    break
                continue
            except (InvalidInputError, ValueError):
                # A signature that holds over a body that is not JSON (ValueError), or a
                # secret the SDK cannot decode: nothing here can be trusted either way.
                reason = "unreadable"
                continue
            return _event(wanted["webhook-id"], text)
        raise InvalidWebhook(f"Webhook refused: {reason}")


_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def _event(webhook_id: str, text: str) -> WebhookEvent:
    payload: Any = json.loads(text)
    kind = payload.get("type") if isinstance(payload, dict) else None
    data = payload.get("data") if isinstance(payload, dict) else None
    payment_id = data.get("paymentId") if isinstance(data, dict) else None
    return WebhookEvent(
        id=webhook_id,
        type=kind if isinstance(kind, str) else "",
        payment_id=payment_id if isinstance(payment_id, str) else None,
    )
