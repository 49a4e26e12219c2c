"""Payment reconciliation on a timer: what lost webhooks need. Orders left ``pending`` or
``virtual_account_issued`` past ``MOCHEONG_PAYMENTS_RECONCILE_AFTER`` are synced from the
gateway, each run in its own REQUEST scope, by the process that runs background work (the
worker, or the API in the embedded mode)."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from dishka import AsyncContainer

from mocheong_core.payments.usecases import Reconcile

log = structlog.get_logger("mocheong.payments")


class PaymentsReconciler:
    def __init__(self, container: AsyncContainer, interval: float) -> None:
        self._container = container
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="payments-reconciler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run_once(self) -> int:
        """One run; how many orders changed status."""
        async with self._container() as request:
            changed = await (await request.get(Reconcile))()
        if changed:
            log.info("payments_reconciled", changed=changed)
        return changed

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.run_once()
            except Exception as exc:  # a gateway or database outage: the next run retries
                log.warning("payments_reconcile_failed", error=repr(exc))
