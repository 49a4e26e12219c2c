"""The readiness checks of this process's dependencies, run by ``GET /ready``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Probe = Callable[[], Awaitable[None]]


class ReadinessProbes:
    """Named checks of the dependencies this process was configured with."""

    def __init__(self, probes: dict[str, Probe], timeout: float = 2.0) -> None:
        self.probes = probes
        self.timeout = timeout

    async def failing(self) -> list[str]:
        # One probe at a time, each on its own clock. Run together, a probe that holds the
        # event loop (the first S3 call builds botocore's client and loads its models: about
        # 0.6 s of CPU here, several seconds on a loaded machine) spent the others' budget, and
        # a database whose answer had already arrived was cancelled by its overdue timeout and
        # reported as not ready. The healthy case costs a few milliseconds either way.
        failing = []
        for name, probe in self.probes.items():
            try:
                await asyncio.wait_for(probe(), self.timeout)
            except Exception:
                failing.append(name)
        return failing
