from __future__ import annotations

from typing import Any

from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Response, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from entrypoints.http.problems import RETRY_AFTER_SECONDS, problem
from entrypoints.runtime.drain import Drain
from entrypoints.runtime.probes import ReadinessProbes

# Litestar appends the charset to text types itself; prometheus_client's constant has one too.
METRICS_MEDIA_TYPE = CONTENT_TYPE_LATEST.split("; charset=")[0]


@get("/health", tags=["system"], include_in_schema=True)
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", tags=["system"])
@inject
async def ready(
    probes: FromDishka[ReadinessProbes], drain: FromDishka[Drain]
) -> Response[dict[str, Any]]:
    """503 while a dependency does not answer, or once the process is stopping (SIGTERM)."""
    if drain.draining:
        failing, title, detail = ["draining"], "The process is stopping", "Not ready: stopping"
    else:
        failing = await probes.failing()
        title, detail = (
            "A dependency is unavailable",
            f"Not ready: {', '.join(failing)} did not answer",
        )
    if failing:
        return problem(
            503,
            "not_ready",
            title,
            detail,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            failing=failing,
        )
    return Response({"status": "ready", "checks": sorted(probes.probes)})


@get("/metrics", tags=["system"], include_in_schema=False)
async def metrics() -> Response[bytes]:
    return Response(generate_latest(), media_type=METRICS_MEDIA_TYPE)
