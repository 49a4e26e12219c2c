"""The openai SDK, configured as the product configures it, against a local server that
speaks Chat Completions SSE: assembly of text, tool calls and usage, and every fault the
spec names (retries before the first delta only, errors mid-stream, cut and hung streams,
a cancel that closes the provider's connection)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.llm.openai_chat import make_client, stream_completion
from adapters.llm.provider_call import ProviderConfig
from adapters.llm.streamed import (
    TRUNCATED,
    AssembledCall,
    Finished,
    ProviderFailure,
    StreamedPart,
    TextPiece,
    TokenUsage,
)
from tests.fakes import openai_chat as oa
from tests.fakes.http import Reply, Request
from tests.fakes.script import Ending, Status, Stream
from tests.integration.provider_wire import cancel_after_first_part, collect

REQUEST: dict[str, Any] = {
    "model": oa.MODEL,
    "messages": [{"role": "user", "content": "신랑은 김철수, 신부는 이영희예요"}],
}
PATCH = {"patch": {"couple": {"groom": {"name": "김철수"}, "bride": {"name": "이영희"}}}}


@pytest.fixture
async def fake() -> AsyncIterator[oa.FakeOpenAI]:
    async with oa.FakeOpenAI() as server:
        yield server


def config(fake: oa.FakeOpenAI, **overrides: Any) -> ProviderConfig:
    values: dict[str, Any] = {
        "model": oa.MODEL,
        "api_key": "sk-test",
        "base_url": fake.base_url,
        "read_timeout": 5.0,
        "retry_wait_max": 0.01,
        **overrides,
    }
    return ProviderConfig(**values)


async def run(fake: oa.FakeOpenAI, **overrides: Any) -> list[StreamedPart]:
    settings = config(fake, **overrides)
    client = make_client(settings)
    try:
        return [part async for part in stream_completion(client, settings, REQUEST)]
    finally:
        await client.close()


async def test_text_tool_calls_split_across_chunks_and_usage_are_assembled(
    fake: oa.FakeOpenAI,
) -> None:
    fake.script(
        oa.reply(
            "이름을 ",
            "넣었어요.",
            calls=[("call_1", "update_page", PATCH), ("call_2", "transfer_to_output", {})],
            pieces=4,
            usage=(900, 40, 768),
        )
    )

    parts = await run(fake)

    assert parts == [
        TextPiece("이름을 "),
        TextPiece("넣었어요."),
        AssembledCall("call_1", "update_page", json.dumps(PATCH, ensure_ascii=False)),
        AssembledCall("call_2", "transfer_to_output", "{}"),
        Finished("tool_calls", TokenUsage(132, 40, cache_read_tokens=768)),
    ]
    (sent,) = fake.requests
    assert sent.headers["authorization"] == "Bearer sk-test"
    body = sent.json()
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == REQUEST["messages"]


async def test_whole_arguments_in_one_chunk_and_a_reused_index_0_make_two_calls(
    fake: oa.FakeOpenAI,
) -> None:
    # As some compatible servers stream several calls: each whole, each at index 0.
    first = oa.tool_call_chunks(0, "call_a", "find_venue", {"query": "더채플앳청담"}, pieces=1)
    second = oa.tool_call_chunks(0, "call_b", "transfer_to_output", "", pieces=1)
    events = [*first, *second, oa.chunk({}, "tool_calls")]
    fake.script(Stream([(None, event) for event in events]))

    parts = await run(fake)

    assert parts == [
        AssembledCall("call_a", "find_venue", '{"query": "더채플앳청담"}'),
        AssembledCall("call_b", "transfer_to_output", "{}"),
        Finished("tool_calls", None),
    ]


@pytest.mark.parametrize("status", [408, 409, 429, 500, 503])
async def test_a_retryable_status_before_the_stream_is_retried(
    fake: oa.FakeOpenAI, status: int
) -> None:
    # retry-after asks for 30 s: the wait is capped by LLM_RETRY_WAIT_MAX. (Over 120 s the
    # openai SDK does not retry at all.)
    refusal = Status(status, oa.error("busy", "server_error"), (("retry-after", "30"),))
    fake.script(refusal, refusal, oa.reply("네"))

    parts = await run(fake)

    assert parts[0] == TextPiece("네")
    assert len(fake.requests) == 3
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1", "2"]


async def test_retries_stop_after_max_tries_with_a_readable_reason(fake: oa.FakeOpenAI) -> None:
    fake.default = Status(500, oa.error("boom", "server_error"))

    with pytest.raises(ProviderFailure) as failure:
        await run(fake, max_tries=3)

    assert failure.value.reason == "The model provider failed to answer"
    assert len(fake.requests) == 3


async def test_a_bad_key_is_not_retried_and_never_shown(fake: oa.FakeOpenAI) -> None:
    with pytest.raises(ProviderFailure) as failure:
        await run(fake, api_key="sk-wrong-secret")

    assert failure.value.reason == "The model provider refused our key"
    assert "sk-wrong" not in str(failure.value)
    assert len(fake.requests) == 1


async def test_an_error_mid_stream_after_text_fails_without_a_retry(fake: oa.FakeOpenAI) -> None:
    events = [oa.chunk({"content": "안녕"}), oa.error("The server had an error", "server_error")]
    fake.script(Stream([(None, event) for event in events], Ending.HANG), oa.reply("다시"))
    settings = config(fake)
    parts: list[StreamedPart] = []

    with pytest.raises(ProviderFailure) as failure:
        await collect(stream_completion(make_client(settings), settings, REQUEST), parts)

    assert parts == [TextPiece("안녕")]
    assert failure.value.reason == "The model provider failed to answer"
    assert len(fake.requests) == 1


async def test_an_error_mid_stream_before_any_text_is_retried(fake: oa.FakeOpenAI) -> None:
    broken = Stream([(None, oa.error("The server had an error", "server_error"))], Ending.HANG)
    fake.script(broken, oa.reply("다시 답할게요"))

    parts = await run(fake)

    assert parts[0] == TextPiece("다시 답할게요")
    assert len(fake.requests) == 2


async def test_a_stream_cut_before_its_finish_is_a_failure(fake: oa.FakeOpenAI) -> None:
    fake.script(Stream([(None, oa.chunk({"content": "반쯤"}))], Ending.CUT))

    with pytest.raises(ProviderFailure) as failure:
        await run(fake)

    assert failure.value.reason == TRUNCATED
    assert len(fake.requests) == 1


async def test_a_stream_ending_cleanly_without_a_finish_reason_is_a_failure(
    fake: oa.FakeOpenAI,
) -> None:
    fake.script(Stream([(None, oa.chunk({"content": "반쯤"}))]))

    with pytest.raises(ProviderFailure) as failure:
        await run(fake)

    assert failure.value.reason == TRUNCATED


async def test_a_hung_stream_times_out_and_closes_the_connection(fake: oa.FakeOpenAI) -> None:
    fake.script(Stream([(None, oa.chunk({"content": "음"}))], Ending.HANG))

    with pytest.raises(ProviderFailure) as failure:
        await run(fake, read_timeout=0.2)

    assert failure.value.reason == "The model provider did not answer in time"
    await fake.wait_for(lambda: fake.disconnects == 1)


async def test_a_provider_silent_before_its_headers_times_out(fake: oa.FakeOpenAI) -> None:
    async def silent(request: Request, reply: Reply) -> None:
        await reply.hang()

    fake.default = silent

    with pytest.raises(ProviderFailure) as failure:
        await run(fake, read_timeout=0.2)

    assert failure.value.reason == "The model provider did not answer in time"


async def test_a_cancel_closes_the_provider_connection(fake: oa.FakeOpenAI) -> None:
    fake.script(Stream([(None, oa.chunk({"content": "길게 "}))], Ending.HANG))
    settings = config(fake, read_timeout=30.0)

    await cancel_after_first_part(stream_completion(make_client(settings), settings, REQUEST), fake)


async def test_a_caller_that_stops_reading_closes_the_provider_connection(
    fake: oa.FakeOpenAI,
) -> None:
    fake.script(Stream([(None, oa.chunk({"content": "길게 "}))], Ending.HANG))
    settings = config(fake, read_timeout=30.0)
    parts = stream_completion(make_client(settings), settings, REQUEST)

    assert await anext(parts) == TextPiece("길게 ")
    await parts.aclose()

    await fake.wait_for(lambda: fake.disconnects == 1)
