"""Settings of what a process shows about itself: the worker's metrics and traces."""

from __future__ import annotations

from typing import Any

import attrs

from entrypoints.bootstrap.settings.fields import SettingsError, choice, setting, variable

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
