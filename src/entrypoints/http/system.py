from __future__ import annotations

from typing import Any

from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from entrypoints.http.problems import RETRY_AFTER_SECONDS, problem
from entrypoints.runtime.probes import ReadinessProbes

# Litestar appends the charset to text types itself; prometheus_client's constant has one too.
METRICS_MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset=")[0]


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
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            failing=failing,
        )
    return Response({"status": "ready", "checks": sorted(probes.probes)})


@get("/metrics", tags=["system"], include_in_schema=False)
async def metrics() -> Response[bytes]:
    return Response(generate_latest(), media_type=METRICS_MEDIA_TYPE)
