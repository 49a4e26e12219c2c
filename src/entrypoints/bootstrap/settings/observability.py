"""Settings of what a process shows about itself: the worker's metrics and traces."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import attrs

from entrypoints.bootstrap.settings.fields import (
    SettingsError,
    choice,
    positive,
    setting,
    variable,
)

TRACING_MODES = ("auto", "on", "off")


def port_or_zero(_: Any, field: attrs.Attribute[Any], value: int) -> None:
    if not 0 <= value <= 65535:
        raise SettingsError(f"{variable(field)} must be a port (1-65535) or 0")


@attrs.frozen(kw_only=True)
class ObservabilitySettings:
    worker_metrics_port: int = setting(
        "WORKER_METRICS_PORT",
        default=0,
        doc=(
            "Port on which `mocheong worker` serves `/metrics` for Prometheus (its jobs' and "
            "model tokens' counters); 0 serves none. One port per worker process"
        ),
        check=port_or_zero,
    )
    worker_health_file: str = setting(
        "WORKER_HEALTH_FILE",
        default=str(Path(tempfile.gettempdir()) / "mocheong-worker.health"),
        shown="<temp dir>/mocheong-worker.health",
        doc=(
            "File where `mocheong worker` writes its health beat and `mocheong worker check` "
            "reads it (one file per worker process)"
        ),
    )
    worker_health_max_age: float = setting(
        "WORKER_HEALTH_MAX_AGE",
        default=30.0,
        doc=(
            "Seconds after which `mocheong worker check` takes a worker whose last health beat "
            "is older for stuck; above MOCHEONG_JOBS_HEALTH_CHECK_INTERVAL"
        ),
        check=positive,
    )
    tracing: str = setting(
        "TRACING",
        default="auto",
        doc=(
            "OpenTelemetry traces: `auto` (on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, "
            "exported there over OTLP/HTTP), `on` (into the process's own tracer provider) "
            "or `off`"
        ),
        check=choice(*TRACING_MODES, show=True),
    )
