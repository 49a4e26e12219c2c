"""The trace context carried by hand: a job queued inside a span carries it in its payload
(through a JSON round trip, as arq and NATS store it) and its run continues that trace; an
event appended inside a span carries it, its delivery continues it, and its frame leaves it
out; with no span recording nothing is added."""

from __future__ import annotations

import json
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from adapters.memory.stream import InMemoryStreamBroker
from entrypoints.bootstrap.tracing import TracedJobQueue, TracedStreamBroker
from entrypoints.runtime.tracing import job_span, traced_delivery
from mocheong_core.chat.stream import TRACE_FIELD, EventDraft, EventKind, StreamEvent
from tests.tracing_support import spans

__all__ = ["spans"]  # the fixture


class RecordingQueue:
    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        self.payloads.append(json.loads(json.dumps(payload)))
        return True


async def test_a_job_continues_the_trace_it_was_queued_in(spans: InMemorySpanExporter) -> None:
    inner = RecordingQueue()
    queue = TracedJobQueue(inner)
    with trace.get_tracer("test").start_as_current_span("submit") as submit:
        await queue.enqueue("chat.run_turn", {"message_id": "m1"}, job_id="j1")
    await queue.enqueue("chat.run_turn", {"message_id": "m2"}, job_id="j2")

    traced, untraced = inner.payloads
    assert untraced == {"message_id": "m2"}
    with job_span("chat.run_turn", traced) as payload:
        assert payload == {"message_id": "m1"}
    with job_span("chat.run_turn", untraced) as payload:
        assert payload == {"message_id": "m2"}
    [_, job] = spans.get_finished_spans()
    assert job.name == "job chat.run_turn"
    assert job.parent is not None
    assert job.parent.span_id == submit.get_span_context().span_id


async def test_a_delivery_continues_the_trace_of_its_event(spans: InMemorySpanExporter) -> None:
    broker = TracedStreamBroker(InMemoryStreamBroker(retention=100, ttl_seconds=60))
    with trace.get_tracer("test").start_as_current_span("run") as run:
        event = await broker.append("page-1", EventDraft(EventKind.CHUNK, {"delta": "안녕"}))
    plain = await broker.append("page-1", EventDraft(EventKind.CHUNK, {"delta": "하세요"}))
    sent: list[StreamEvent] = []

    async def deliver(event: StreamEvent, _: str) -> None:
        sent.append(event)

    send = traced_delivery(deliver)
    await send(event, "")
    await send(plain, "")

    assert TRACE_FIELD in event.data
    assert TRACE_FIELD not in event.wire()["data"]
    assert TRACE_FIELD not in plain.data
    assert sent == [event, plain]
    [_, delivered] = spans.get_finished_spans()
    assert delivered.name == "chat.deliver message-chunk"
    assert delivered.parent is not None
    assert delivered.parent.span_id == run.get_span_context().span_id
