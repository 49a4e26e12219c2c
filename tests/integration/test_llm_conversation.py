"""The agents fill a page through each real SDK, against a local server speaking the
provider's protocol: streamed text, tool calls split across chunks, a bad call the model
corrects, usage recorded on the reply, and requests whose stable prefix stays byte-identical
(with Anthropic's cache breakpoints on it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.llm import anthropic as anthropic_adapter
from adapters.llm import openai_chat as openai_adapter
from adapters.llm.provider_call import ProviderConfig
from mocheong_core.agents.ports import AgentModel
from mocheong_core.chat.model import MessageStatus
from tests.fakes import anthropic_messages as am
from tests.fakes import openai_chat as oa
from tests.fakes.script import ScriptedServer, Stream
from tests.unit.agents_harness import Agents

NAMES = {"couple": {"groom": {"name": "김도윤"}, "bride": {"name": "박하은"}}}
Call = tuple[str, str, dict[str, Any] | str]
# Each model call of the turn: the text it streams and the tool calls it makes.
STEPS: list[tuple[tuple[str, ...], list[Call]]] = [
    ((), [("c1", "transfer_to_context", {})]),
    (("이름을 저장할게요",), [("c2", "update_page", '{"patch": {"couple": ')]),  # cut JSON
    ((), [("c3", "update_page", {"patch": NAMES}), ("c4", "transfer_to_output", {})]),
    (("두 분 이름을 ", "넣었어요. ", "예식 날짜도 알려주세요."), []),
]


class Provider:
    def __init__(
        self,
        server: ScriptedServer,
        reply: Callable[..., Stream],
        model: Callable[[ProviderConfig], AgentModel],
        base_url: Callable[[], str],
    ) -> None:
        self.server, self.reply, self.model, self.base_url = server, reply, model, base_url


def _openai(server: oa.FakeOpenAI) -> Provider:
    def model(config: ProviderConfig) -> AgentModel:
        return openai_adapter.OpenAIChatModel(openai_adapter.make_client(config), config)

    return Provider(server, oa.reply, model, lambda: server.base_url)


def _anthropic(server: am.FakeAnthropic) -> Provider:
    def model(config: ProviderConfig) -> AgentModel:
        return anthropic_adapter.AnthropicChatModel(anthropic_adapter.make_client(config), config)

    return Provider(server, am.reply, model, lambda: server.url)


@pytest.fixture(params=["openai", "anthropic"])
async def provider(request: pytest.FixtureRequest) -> AsyncIterator[Provider]:
    if request.param == "openai":
        async with oa.FakeOpenAI() as server:
            yield _openai(server)
    else:
        async with am.FakeAnthropic() as server:
            yield _anthropic(server)


async def test_a_korean_conversation_fills_the_page_through_the_real_sdk(
    provider: Provider,
) -> None:
    provider.server.script(
        *(provider.reply(*texts, calls=calls, pieces=4) for texts, calls in STEPS)
    )
    key = "sk-ant-test" if isinstance(provider.server, am.FakeAnthropic) else "sk-test"
    config = ProviderConfig(model="fake", api_key=key, base_url=provider.base_url())
    agents = await Agents(provider.model(config)).start()

    reply = await agents.turn_of("신랑은 김도윤, 신부는 박하은이에요.")

    assert reply.status is MessageStatus.COMPLETED
    assert reply.content == "두 분 이름을 넣었어요. 예식 날짜도 알려주세요."
    page = await agents.page()
    assert (page.content.couple.groom.name, page.content.couple.bride.name) == ("김도윤", "박하은")
    usage = reply.metadata["usage"]
    assert usage["output_tokens"] == 4 * 30
    assert usage["provider"] in ("openai", "anthropic")
    assert reply.metadata["agents"] == ["main", "context", "output"]
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
    # Calls 2 and 3 are the same agent's: its prompt, tools and page repeat byte for byte.
    second, third = bodies[1], bodies[2]
    if "system" in second:
        assert json.dumps(second["system"]) == json.dumps(third["system"])
        assert json.dumps(second["tools"]) == json.dumps(third["tools"])
        assert second["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert second["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    else:
        assert json.dumps(second["messages"][:2]) == json.dumps(third["messages"][:2])
        assert json.dumps(second["tools"]) == json.dumps(third["tools"])
    # The conversation only grows at its end.
    assert third["messages"][: len(second["messages"])] == second["messages"]
