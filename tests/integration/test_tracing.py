"""With tracing on, one trace runs from ``POST /api/chat`` through the run of the turn (a job
of the in-process queue, carried in its payload as it would be through arq or NATS) to each
chunk delivered on the room's socket (carried in the stream events); the clients' frames
never show the trace context."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import final_of, frames_until, owner, send, submit
from tests.tracing_support import spans

__all__ = ["spans"]  # the fixture


@pytest.fixture
def backend() -> str:
    """SQLite only: what is carried across is under test, not the database."""
    return "sqlite"


@pytest.fixture
async def client(settings: Settings, spans: InMemorySpanExporter) -> AsyncIterator[Client]:
    traced = evolve(settings, tracing="on", offline_model_delay_ms=0, chat_coalesce_ms=0)
    async with AsyncTestClient(create_app(traced)) as test_client:
        yield test_client


def _by_id(found: tuple[ReadableSpan, ...]) -> dict[int, ReadableSpan]:
    return {span.context.span_id: span for span in found}


def _ancestors(span: ReadableSpan, spans: dict[int, ReadableSpan]) -> list[str]:
    names = []
    while span.parent is not None and span.parent.span_id in spans:
        span = spans[span.parent.span_id]
        names.append(span.name)
    return names


async def test_one_trace_runs_from_the_submit_to_the_last_chunk_on_the_socket(
    client: Client, spans: InMemorySpanExporter
) -> None:
    who = await owner(client)
    with await client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        assert frames_until(ws, lambda f: f["event"] == "session-info")
        spans.clear()
        accepted = await submit(client, who, "신랑 김도윤, 신부 박하은이에요.")
        frames = frames_until(ws, final_of(accepted["message_id"]))

    assert all("trace" not in frame["data"] for frame in frames)
    found = spans.get_finished_spans()
    [posted] = [s for s in found if s.name.startswith("POST /api/chat")]
    [job] = [s for s in found if s.name == "job chat.run_turn"]
    chunks = [s for s in found if s.name == "chat.deliver message-chunk"]
    assert chunks, [s.name for s in found]
    assert posted.context is not None
    assert job.context is not None
    trace_id = posted.context.trace_id
    assert job.context.trace_id == trace_id
    assert {s.context.trace_id for s in chunks if s.context} == {trace_id}
    # The run continues the submit, and each delivery the run that appended its chunk.
    every = _by_id(found)
    assert posted.name in _ancestors(job, every)
    assert all(_ancestors(chunk, every)[0] == job.name for chunk in chunks)
    delivered = [f for f in frames if f["event"] == "message-chunk"]
    assert len(chunks) == len(delivered)
    last = max(chunks, key=lambda s: s.end_time or 0)
    assert last.attributes is not None
    assert last.attributes["mocheong.chat.cursor"] == delivered[-1]["data"]["cursor"]


async def test_untraced_requests_carry_nothing(
    settings: Settings, spans: InMemorySpanExporter
) -> None:
    plain = evolve(settings, tracing="off", offline_model_delay_ms=0, chat_coalesce_ms=0)
    async with AsyncTestClient(create_app(plain)) as client:
        who = await owner(client)
        with await client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
            send(ws, "joinRoom", room=who.room)
            accepted = await submit(client, who, "안녕하세요")
            frames = frames_until(ws, final_of(accepted["message_id"]))
    assert frames
    assert spans.get_finished_spans() == ()
