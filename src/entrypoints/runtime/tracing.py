"""The trace context carried by hand where no instrumentation reaches: from a queued job's
payload into the span of its run, and from a chat stream event into the span of its delivery
on a connection. Both carry a W3C ``traceparent`` under ``TRACE_FIELD``, written only when the
process that queued the job or appended the event was tracing (``bootstrap/tracing.py``); a
payload or an event without one costs a dict lookup here and makes no span."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from mocheong_core.chat.stream import TRACE_FIELD, StreamEvent

_tracer = trace.get_tracer("mocheong")


def carrier() -> dict[str, str]:
    """The current span's context as W3C headers (empty when no span is recording)."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


@contextlib.contextmanager
def job_span(task: str, payload: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The payload the task sees (without the trace context), run inside a span that
    continues the trace of whoever queued it."""
    headers = payload.get(TRACE_FIELD)
    if not isinstance(headers, dict):
        yield dict(payload)
        return
    parent = propagate.extract(headers)
    with _tracer.start_as_current_span(f"job {task}", context=parent, kind=SpanKind.CONSUMER):
        yield {k: v for k, v in payload.items() if k != TRACE_FIELD}


Deliver = Callable[[StreamEvent, str], Awaitable[None]]


def traced_delivery(deliver: Deliver) -> Deliver:
    """``deliver``, inside a span continuing the trace of the work that appended the event."""

    async def send(event: StreamEvent, text: str) -> None:
        headers = event.data.get(TRACE_FIELD)
        if not isinstance(headers, dict):
            await deliver(event, text)
            return
        name = f"chat.deliver {event.kind.value}"
        parent = propagate.extract(headers)
        with _tracer.start_as_current_span(name, context=parent) as span:
            span.set_attribute("mocheong.chat.cursor", event.cursor)
            if event.message_id is not None:
                span.set_attribute("mocheong.chat.message_id", event.message_id)
            await deliver(event, text)

    return send
