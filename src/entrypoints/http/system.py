from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from entrypoints.http.problems import problem

Probe = Callable[[], Awaitable[None]]
# Litestar appends the charset to text types itself; prometheus_client's constant has one too.
METRICS_MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset=")[0]


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


@get("/health", tags=["system"], include_in_schema=True)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", tags=["system"])
@inject
async def ready(probes: FromDishka[ReadinessProbes]) -> Response[dict[str, Any]]:
    failing = await probes.failing()
    if failing:
        return problem(
            503,
            "not_ready",
            "A dependency is unavailable",
            f"Not ready: {', '.join(failing)} did not answer",
            failing=failing,
        )
    return Response({"status": "ready", "checks": sorted(probes.probes)})


@get("/metrics", tags=["system"], include_in_schema=False)
async def metrics() -> Response[bytes]:
    return Response(generate_latest(), media_type=METRICS_MEDIA_TYPE)
