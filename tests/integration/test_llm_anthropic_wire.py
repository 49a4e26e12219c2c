"""The anthropic SDK, configured as the product configures it, against a local server that
speaks Messages SSE: every event kind assembled, ``error`` events and ``overloaded_error``,
529 retried before the first delta only, cut and hung streams, a cancel that closes the
provider's connection, and both forms of the key header."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from adapters.llm.anthropic import AnthropicChatModel, make_client, stream_message
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
from mocheong_core.agents.ports import AgentMessage, FinishEvent, ModelRequest, UsageEvent
from tests.fakes import anthropic_messages as am
from tests.fakes.script import Ending, Status, Stream
from tests.integration.provider_wire import cancel_after_first_part, collect

REQUEST: dict[str, Any] = {
    "model": am.MODEL,
    "max_tokens": 512,
    "messages": [{"role": "user", "content": "예식장은 더채플앳청담이에요"}],
}
QUERY = {"query": "더채플앳청담"}


@pytest.fixture
async def fake() -> AsyncIterator[am.FakeAnthropic]:
    async with am.FakeAnthropic() as server:
        yield server


def config(fake: am.FakeAnthropic, **overrides: Any) -> ProviderConfig:
    values: dict[str, Any] = {
        "model": am.MODEL,
        "api_key": "sk-ant-test",
        "base_url": fake.url,
        "read_timeout": 5.0,
        "retry_wait_max": 0.01,
        **overrides,
    }
    return ProviderConfig(**values)


async def run(
    fake: am.FakeAnthropic, auth_header: str = "bearer", **overrides: Any
) -> list[StreamedPart]:
    settings = config(fake, **overrides)
    client = make_client(settings, auth_header=auth_header)
    try:
        return [part async for part in stream_message(client, settings, REQUEST)]
    finally:
        await client.close()


async def test_every_event_kind_is_assembled_into_text_calls_and_usage(
    fake: am.FakeAnthropic,
) -> None:
    fake.script(
        am.reply(
            "장소를 ",
            "찾아볼게요.",
            calls=[("toolu_1", "find_venue", QUERY), ("toolu_2", "transfer_to_output", "")],
            pieces=5,
            usage=(12, 48, 2048, 300),
        )
    )

    parts = await run(fake)

    assert parts == [
        TextPiece("장소를 "),
        TextPiece("찾아볼게요."),
        AssembledCall("toolu_1", "find_venue", json.dumps(QUERY, ensure_ascii=False)),
        AssembledCall("toolu_2", "transfer_to_output", "{}"),
        Finished("tool_use", TokenUsage(12, 48, cache_read_tokens=2048, cache_write_tokens=300)),
    ]
    (sent,) = fake.requests
    assert sent.json()["stream"] is True
    assert sent.headers["anthropic-version"]


@pytest.mark.parametrize(
    ("auth_header", "form"), [("bearer", "bearer"), ("x-api-key", "x-api-key")]
)
async def test_the_key_goes_in_the_header_form_the_settings_choose(
    fake: am.FakeAnthropic, auth_header: str, form: str
) -> None:
    fake.script(am.reply("네"))

    assert (await run(fake, auth_header))[0] == TextPiece("네")

    assert fake.auth_forms == [form]
    (sent,) = fake.requests
    assert ("x-api-key" in sent.headers) is (form == "x-api-key")
    assert ("authorization" in sent.headers) is (form == "bearer")


@pytest.mark.parametrize("auth_header", ["bearer", "x-api-key"])
async def test_a_refused_key_is_a_readable_failure_without_the_key(
    fake: am.FakeAnthropic, auth_header: str
) -> None:
    with pytest.raises(ProviderFailure) as failure:
        await run(fake, auth_header, api_key="sk-ant-wrong-secret")

    assert failure.value.reason == "The model provider refused our key"
    assert "secret" not in str(failure.value)
    assert len(fake.requests) == 1


async def test_529_overloaded_and_429_are_retried_honouring_retry_after(
    fake: am.FakeAnthropic,
) -> None:
    # An hour asked for; anthropic 2.x would wait it out, LLM_RETRY_WAIT_MAX caps it.
    limited = Status(429, am.error("rate_limit_error", "slow down"), (("retry-after", "3600"),))
    fake.script(am.overloaded(), limited, am.reply("다시 왔어요"))

    parts = await run(fake)

    assert parts[0] == TextPiece("다시 왔어요")
    assert len(fake.requests) == 3


async def test_overloaded_three_times_fails_readably(fake: am.FakeAnthropic) -> None:
    fake.default = am.overloaded()

    with pytest.raises(ProviderFailure) as failure:
        await run(fake)

    assert failure.value.reason == "The model provider is overloaded; try again shortly"
    assert len(fake.requests) == 3


async def test_an_overloaded_error_event_before_the_first_delta_is_retried(
    fake: am.FakeAnthropic,
) -> None:
    fake.script(Stream([am.start(), am.error_event()], Ending.HANG), am.reply("괜찮아요"))

    parts = await run(fake)

    assert parts[0] == TextPiece("괜찮아요")
    assert len(fake.requests) == 2


async def test_retries_of_error_events_share_the_tries_the_sdk_left(
    fake: am.FakeAnthropic,
) -> None:
    fake.script(am.overloaded(), am.overloaded(), Stream([am.error_event()], Ending.HANG))
    fake.default = am.reply("never")

    with pytest.raises(ProviderFailure):
        await run(fake, max_tries=3)

    assert len(fake.requests) == 3


async def test_an_error_event_after_text_fails_without_a_retry(fake: am.FakeAnthropic) -> None:
    events = [am.start(), *am.text_block(0, "안녕하세요")[:3], am.error_event("api_error", "x")]
    fake.script(Stream(events, Ending.HANG))
    fake.default = am.reply("never")
    settings = config(fake)
    parts: list[StreamedPart] = []

    with pytest.raises(ProviderFailure) as failure:
        await collect(stream_message(make_client(settings), settings, REQUEST), parts)

    assert parts == [TextPiece("안녕하세요")]
    assert failure.value.reason == "The model provider failed to answer"
    assert len(fake.requests) == 1


@pytest.mark.parametrize("ending", [Ending.CUT, Ending.UNTERMINATED])
async def test_a_stream_without_message_stop_is_a_failure(
    ending: Ending, fake: am.FakeAnthropic
) -> None:
    fake.script(Stream([am.start(), *am.text_block(0, "반쯤"), am.finish("end_turn")], ending))

    with pytest.raises(ProviderFailure) as failure:
        await run(fake)

    assert failure.value.reason == TRUNCATED


async def test_a_hung_stream_times_out_and_closes_the_connection(fake: am.FakeAnthropic) -> None:
    fake.script(Stream([am.start(), *am.text_block(0, "음")[:3]], Ending.HANG))

    with pytest.raises(ProviderFailure) as failure:
        await run(fake, read_timeout=0.2)

    assert failure.value.reason == "The model provider did not answer in time"
    await fake.wait_for(lambda: fake.disconnects == 1)


async def test_a_cancel_closes_the_provider_connection(fake: am.FakeAnthropic) -> None:
    fake.script(Stream([am.start(), *am.text_block(0, "길게 ")[:3]], Ending.HANG))
    settings = config(fake, read_timeout=30.0)

    await cancel_after_first_part(stream_message(make_client(settings), settings, REQUEST), fake)


async def test_usage_and_failures_are_counted_for_metrics(fake: am.FakeAnthropic) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    cached = {"provider": "anthropic", "model": am.MODEL, "kind": "cache_read"}
    truncated = {"reason": TRUNCATED}
    before = (
        sample("mocheong_model_tokens_total", **cached),
        sample("mocheong_model_failures_total", **truncated),
    )
    fake.script(am.reply("네", usage=(10, 5, 700, 0)), Stream([am.start()], Ending.UNTERMINATED))
    settings = config(fake)
    client = make_client(settings)
    model = AnthropicChatModel(client, settings)
    request = ModelRequest("output", "system", (), "{}", (AgentMessage("user", "안녕"),))

    events = [event async for event in model.stream(request)]
    with pytest.raises(ProviderFailure):
        await anext(aiter(model.stream(request)))

    assert events[-2:] == [UsageEvent(10, 5, 700, 0, am.MODEL, "anthropic"), FinishEvent("stop")]
    after = (
        sample("mocheong_model_tokens_total", **cached),
        sample("mocheong_model_failures_total", **truncated),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (700, 1)
