"""Traces (OpenTelemetry), off unless asked for.

``MOCHEONG_TRACING=auto`` (the default) traces when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set:
``install_exporter`` then gives the process a tracer provider exporting over OTLP/HTTP (the
exporter reads the other ``OTEL_*`` variables itself: headers, timeout, service name).
``on`` traces into whatever provider the process has (e.g. one ``opentelemetry-instrument``
installed); ``off`` never traces. When tracing is off nothing here is wired: no ASGI
middleware, no wrapped queue or broker, no exporter.

When on, the API's requests get server spans (Litestar's OpenTelemetry middleware, outside
the fast paths so the chat submit has one too), and the context is carried by hand where no
instrumentation reaches: ``TracedJobQueue`` writes it into each job's payload (arq, NATS or
in-process alike) and ``TracedStreamBroker`` into each chat stream event, so the worker's run
of a turn and the delivery of its chunks on the sockets continue the submit's trace
(``runtime/tracing.py`` reads them back).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import attrs
from dishka import Provider, Scope, decorate
from opentelemetry import trace

from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.tracing import carrier
from mocheong_core.chat.ports import StreamBroker
from mocheong_core.chat.stream import TRACE_FIELD, EventDraft, Fence, History, StreamEvent
from mocheong_core.jobs.ports import JobQueue

ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
UNTRACED_PATHS = ["/health", "/ready", "/metrics"]


def tracing_on(settings: Settings) -> bool:
    mode = settings.observability.tracing
    if mode == "auto":
        return bool(os.environ.get(ENDPOINT))
    return mode == "on"


def install_exporter(service: str) -> None:
    """With ``OTEL_EXPORTER_OTLP_ENDPOINT`` set, this process's spans go there in batches
    (once per process; a provider already installed is kept). The SDK and the exporter are
    imported here, by a process that traces, only."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if not os.environ.get(ENDPOINT) or isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or service})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)


def traced_asgi(app: Any) -> Any:
    """``app`` inside Litestar's OpenTelemetry middleware: a server span per request (none for
    the probes and metrics; none per ASGI message)."""
    from litestar.plugins.opentelemetry import (
        OpenTelemetryConfig,
        OpenTelemetryInstrumentationMiddleware,
    )

    config = OpenTelemetryConfig(exclude=UNTRACED_PATHS, exclude_spans=["receive", "send"])
    return OpenTelemetryInstrumentationMiddleware(app, config)


class TracedJobQueue:
    """Puts the current trace context into the payload of each job it queues."""

    def __init__(self, inner: JobQueue) -> None:
        self._inner = inner

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        headers = carrier()
        if headers:
            payload = {**payload, TRACE_FIELD: headers}
        return await self._inner.enqueue(task, payload, job_id=job_id, delay_seconds=delay_seconds)


class TracedStreamBroker:
    """Puts the current trace context into each event it appends (clients never see it:
    ``StreamEvent.wire`` leaves it out)."""

    def __init__(self, inner: StreamBroker) -> None:
        self._inner = inner

    async def claim(self, message_id: str, attempt: int, lease_seconds: float) -> None:
        await self._inner.claim(message_id, attempt, lease_seconds)

    async def append(self, room: str, draft: EventDraft, fence: Fence | None = None) -> StreamEvent:
        headers = carrier()
        if headers:
            draft = attrs.evolve(draft, data={**draft.data, TRACE_FIELD: headers})
        return await self._inner.append(room, draft, fence)

    async def history(self, room: str, after: str | None, limit: int = 1000) -> History:
        return await self._inner.history(room, after, limit)

    async def head(self, room: str) -> str:
        return await self._inner.head(room)

    def listen(self, room: str) -> AbstractAsyncContextManager[AsyncIterator[StreamEvent]]:
        return self._inner.listen(room)

    async def request_cancel(self, message_id: str) -> None:
        await self._inner.request_cancel(message_id)

    async def cancel_requested(self, message_id: str) -> bool:
        return await self._inner.cancel_requested(message_id)


class TracingProvider(Provider):
    """Added by ``build_providers`` when tracing is on."""

    @decorate(scope=Scope.APP)
    def queue(self, inner: JobQueue) -> JobQueue:
        return TracedJobQueue(inner)

    @decorate(scope=Scope.APP)
    def broker(self, inner: StreamBroker) -> StreamBroker:
        return TracedStreamBroker(inner)
