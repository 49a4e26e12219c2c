"""``SandboxGateway``: the embedded mode's gateway. It approves every pre-registered payment
locally, at the amount the server registered, and takes refunds; nothing leaves the machine.
Orders made through it are marked ``sandbox`` so no one mistakes them for real money.

Its payments live in memory: an order created before a restart stays ``pending`` (the
reconciliation finds no payment for it) and is simply bought again.
"""

from __future__ import annotations

from mocheong_core.payments.model import GatewayPayment, GatewayStatus
from mocheong_core.payments.ports import Cancellation

SANDBOX_STORE = "sandbox"


class SandboxGateway:
    sandbox = True
    store_id: str | None = SANDBOX_STORE

    def __init__(self) -> None:
        self._payments: dict[str, GatewayPayment] = {}
        self._cancellations: dict[str, Cancellation] = {}

    async def get_payment(self, payment_id: str) -> GatewayPayment | None:
        return self._payments.get(payment_id)

    async def pre_register(self, payment_id: str, amount: int, currency: str) -> None:
        self._payments.setdefault(
            payment_id,
            GatewayPayment(payment_id, GatewayStatus.PAID, amount, 0, currency, SANDBOX_STORE),
        )

    async def cancel(
        self,
        payment_id: str,
        *,
        reason: str,
        amount: int | None,
        current_cancellable_amount: int,
        idempotency_key: str,
    ) -> Cancellation:
        done = self._cancellations.get(idempotency_key)
        if done is not None:
            return done
        payment = self._payments[payment_id]
        given = current_cancellable_amount if amount is None else amount
        cancelled = payment.amount_cancelled + given
        status = (
            GatewayStatus.CANCELLED
            if cancelled >= payment.amount_total
            else GatewayStatus.PARTIAL_CANCELLED
        )
        self._payments[payment_id] = GatewayPayment(
            payment_id, status, payment.amount_total, cancelled, payment.currency, SANDBOX_STORE
        )
        self._cancellations[idempotency_key] = Cancellation(payment_id, given)
        return self._cancellations[idempotency_key]
