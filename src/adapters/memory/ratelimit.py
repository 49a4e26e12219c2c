from __future__ import annotations

from mocheong_core.kernel.clock import Clock, SystemClock
from mocheong_core.kernel.ratelimit import Limit


class InMemoryRateLimiter:
    """Fixed-window counters for one process; windows start at multiples of their length."""

    def __init__(self, clock: Clock | None = None, max_keys: int = 100_000) -> None:
        self._clock = clock or SystemClock()
        self._counts: dict[tuple[str, int], int] = {}
        self._max_keys = max_keys

    async def hit(self, key: str, limit: Limit) -> int:
        now = self._clock.now().timestamp()
        window = limit.window(now)
        slot = (key, window)
        if len(self._counts) >= self._max_keys:
            self._counts = {k: v for k, v in self._counts.items() if k[1] >= window - 1}
        count = self._counts.get(slot, 0) + 1
        self._counts[slot] = count
        if count <= limit.count:
            return 0
        return limit.wait(now)
