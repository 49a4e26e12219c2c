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
        async def run(name: str, probe: Probe) -> str | None:
            try:
                await asyncio.wait_for(probe(), self.timeout)
            except Exception:
                return name
            return None

        results = await asyncio.gather(*(run(n, p) for n, p in self.probes.items()))
        return [name for name in results if name]
