from __future__ import annotations

from redis.asyncio import Redis

from adapters.redis.scripts import RedisScripts
from mocheong_core.kernel.clock import Clock, SystemClock
from mocheong_core.kernel.ratelimit import Limit

# INCR and EXPIRE in one round trip; the key lives exactly as long as its window.
_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisRateLimiter:
    """Fixed-window counters shared by every process that uses the same Redis."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = "mc:rl:",
        clock: Clock | None = None,
        scripts: RedisScripts | None = None,
    ) -> None:
        self._prefix = prefix
        # The windows follow the injected clock; keys still expire in Redis's own time.
        self._clock = clock or SystemClock()
        self._script = (scripts or RedisScripts(redis)).register(_HIT)

    async def hit(self, key: str, limit: Limit) -> int:
        now = self._clock.now().timestamp()
        window = limit.window(now)
        count = int(
            await self._script(
                keys=[f"{self._prefix}{key}:{window}"], args=[limit.window_seconds + 1]
            )
        )
        if count <= limit.count:
            return 0
        return limit.wait(now)
