"""Readiness probes: a probe is judged on its own time, not on the time another one held the
event loop."""

from __future__ import annotations

import asyncio
import time

from entrypoints.http.system import ReadinessProbes


async def test_a_probe_that_holds_the_loop_does_not_fail_the_others() -> None:
    # The storage probe's first call builds botocore's client synchronously; here it holds the
    # loop three times longer than the timeout, while the database answers in three round
    # trips of 10 ms (connect, authenticate, SELECT 1).
    async def database() -> None:
        for _ in range(3):
            await asyncio.sleep(0.01)

    async def storage() -> None:
        held_until = time.perf_counter() + 0.3  # CPU-bound setup that holds the loop
        while time.perf_counter() < held_until:
            pass

    probes = ReadinessProbes({"database": database, "storage": storage}, timeout=0.1)
    assert await probes.failing() == []


async def test_probes_that_fail_or_hang_are_named_in_order() -> None:
    async def fine() -> None:
        return None

    async def broken() -> None:
        raise ConnectionError

    async def hanging() -> None:
        await asyncio.Event().wait()

    probes = ReadinessProbes({"redis": hanging, "database": fine, "storage": broken}, timeout=0.05)
    assert await probes.failing() == ["redis", "storage"]
