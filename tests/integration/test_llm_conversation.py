"""The agents fill a page through each real SDK, against a local server speaking the
provider's protocol: streamed text, tool calls split across chunks, a bad call the model
corrects, usage recorded on the reply, and requests whose stable prefix stays byte-identical
(with Anthropic's cache breakpoints on it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from entrypoints.bootstrap.model_providers import hosted_model
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.agents.ports import AgentModel
from mocheong_core.chat.model import MessageStatus
from tests.fakes.providers import (
    NAMES_TURN,
    NAMES_TURN_REPLY,
    PROVIDERS,
    FakeProvider,
    agent_asked,
    fake_provider,
)
from tests.unit.agents_harness import Agents


@pytest.fixture(params=PROVIDERS)
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[FakeProvider]:
    async with fake_provider(request.param) as fake:
        yield fake


@pytest.fixture
async def model(provider: FakeProvider) -> AsyncIterator[AgentModel]:
    """The model as the product's wiring builds it from the settings."""
    model, close = hosted_model(evolve(Settings(), **provider.settings()))
    yield model
    await close()


async def test_a_korean_conversation_fills_the_page_through_the_real_sdk(
    provider: FakeProvider, model: AgentModel
) -> None:
    provider.script_turn(NAMES_TURN)
    agents = await Agents(model).start()

    reply = await agents.turn_of("신랑은 김도윤, 신부는 박하은이에요.")

    assert reply.status is MessageStatus.COMPLETED
    assert reply.content == NAMES_TURN_REPLY
    page = await agents.page()
    assert (page.content.couple.groom.name, page.content.couple.bride.name) == ("김도윤", "박하은")
    usage = reply.metadata["usage"]
    assert usage["output_tokens"] == 4 * 30
    assert (usage["provider"], usage["model"]) == (provider.name, "fake-model")
    assert reply.metadata["agents"] == ["main", "context", "output"]
    # What a fake answering per agent (bench/chaos_providers.py) reads of each request.
    asked = [agent_asked(request) for request in provider.server.requests]
    assert asked == ["main", "context", "context", "output"]
    bodies = provider.server.bodies()
    assert len(bodies) == 4
    _assert_the_bad_call_went_back_as_an_error(bodies[2])
    _assert_the_stable_prefix_is_byte_identical(bodies)


def _assert_the_bad_call_went_back_as_an_error(body: dict[str, Any]) -> None:
    last = body["messages"][-1]
    if "system" in body:  # Anthropic: a tool_result block with is_error
        [result] = last["content"]
        assert (result["type"], result["tool_use_id"], result["is_error"]) == (
            "tool_result",
            "c2",
            True,
        )
    else:
        assert (last["role"], last["tool_call_id"]) == ("tool", "c2")
        assert "error" in json.loads(last["content"])


def _assert_the_stable_prefix_is_byte_identical(bodies: list[dict[str, Any]]) -> None:
    # Every call, whichever agent makes it, repeats the prompt and the tools byte for byte;
    # calls 2 and 3 are the same agent's.
    first, second, third = bodies[0], bodies[1], bodies[2]
    if "system" in second:
        for body in (first, third):
            assert json.dumps(body["system"]) == json.dumps(second["system"])
            assert json.dumps(body["tools"]) == json.dumps(second["tools"])
        assert second["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert second["tools"][-1]["cache_control"] == {"type": "ephemeral"}
        # The couple's message is the third breakpoint; the brief (page, agent) follows it.
        question, brief = second["messages"][0]["content"]
        assert question["cache_control"] == {"type": "ephemeral"}
        assert brief["text"].startswith("<page>")
        assert brief["text"].endswith(
            "Your tools: update_page, undo_last_change, transfer_to_map, transfer_to_output."
        )
    else:
        for body in (first, third):
            assert json.dumps(body["messages"][:1]) == json.dumps(second["messages"][:1])
            assert json.dumps(body["tools"]) == json.dumps(second["tools"])
        asked = second["messages"][1]["content"]
        assert asked.startswith("신랑은 김도윤, 신부는 박하은이에요.\n\n<page>")
        assert asked.endswith(
            "You are the context agent now. Your tools: update_page, "
            "undo_last_change, transfer_to_map, transfer_to_output."
        )
    # The conversation only grows at its end.
    assert third["messages"][: len(second["messages"])] == second["messages"]
