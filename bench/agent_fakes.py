"""Models that answer at once, for P8: a plain chat model (the runner alone) and an agent model
(the agent loop: main hands over to output, which writes the reply). Each is a dishka provider
that overrides the production one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from dishka import Provider, Scope, provide

from mocheong_core.agents.ports import (
    AgentModel,
    FinishEvent,
    ModelEvent,
    ModelRequest,
    TextEvent,
    ToolCall,
    ToolCallEvent,
    UsageEvent,
)
from mocheong_core.chat.ports import ChatModel, ModelPart, ModelTurn, TextDelta

REPLY = ("알려주신 내용을 ", "반영했어요.")


class InstantChatModel:
    label: dict[str, Any] = {"model": "instant"}  # noqa: RUF012

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        for text in REPLY:
            yield TextDelta(text)


class InstantAgentModel:
    """Main hands the turn to output at once; output answers at once."""

    label: dict[str, Any] = {"model": "instant-agents"}  # noqa: RUF012

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        if request.agent == "output":
            for text in REPLY:
                yield TextEvent(text)
            yield UsageEvent(model="instant", provider="bench")
            yield FinishEvent("stop")
            return
        yield ToolCallEvent(ToolCall("c1", "transfer_to_output", "{}"))
        yield UsageEvent(model="instant", provider="bench")
        yield FinishEvent("tool_calls")


class InstantChatModelProvider(Provider):
    @provide(scope=Scope.APP, override=True)
    def model(self) -> ChatModel:
        return InstantChatModel()


class InstantAgentModelProvider(Provider):
    @provide(scope=Scope.APP, override=True)
    def agent_model(self) -> AgentModel:
        return InstantAgentModel()
