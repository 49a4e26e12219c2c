"""``AgentTurn``: one turn of the agent graph, written out by hand (no agent framework).

It is the chat runner's model (``ChatModel``): the runner iterates it and appends what it
yields, so streaming, resume, cancel, leases, fences and retries stay the runner's. A turn
starts with the main agent; each model call may call tools, whose results go back to the same
agent in its next call; ``transfer_to_<agent>`` hands the turn over (the next agent sees the
page as it is then and the turn so far). The turn ends when an agent answers without calling
a tool, or at a cap (model calls, tool calls) with a notice, never in a loop.

Only the output agent's text (or the text of an agent that ends the turn without handing it
over) reaches the room; the other agents' words between tool calls are not shown.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import attrs

from mocheong_core.agents.conversation import brief, page_json, recent_messages
from mocheong_core.agents.policy import MAIN, OUTPUT, AgentPolicy
from mocheong_core.agents.ports import (
    AgentMessage,
    AgentModel,
    FinishEvent,
    Geocoder,
    ModelRequest,
    PageDesk,
    TextEvent,
    ToolCall,
    ToolCallEvent,
    UsageEvent,
)
from mocheong_core.agents.prompts import SYSTEM_PROMPT
from mocheong_core.agents.tools import ALL_SPECS, Toolbox, ToolResult, Workspace
from mocheong_core.chat.ports import ComponentPart, MetadataPart, ModelPart, ModelTurn, TextDelta
from mocheong_core.errors import NotFound
from mocheong_core.pages.model import Page

_HANGUL = re.compile(r"[가-힣]")


class IncompleteAnswer(Exception):
    """A model stream that ended without its finish event: a failure, not a short answer."""


CAP_NOTICES = {
    "model_calls": (
        "이번 요청은 처리할 단계가 너무 많아 여기서 멈췄어요. 조금 나누어 다시 말씀해 주세요.",
        "This request took too many steps, so I stopped here. Please send it in smaller parts.",
    ),
    "tool_calls": (
        "이번 요청은 바꿀 것이 너무 많아 여기서 멈췄어요. 조금 나누어 다시 말씀해 주세요.",
        "This request needed too many changes, so I stopped here. Please send it in smaller parts.",
    ),
}


class AgentTurn:
    """The chat runner's model: the agents, their tools and the loop that runs them."""

    def __init__(
        self, model: AgentModel, desk: PageDesk, geocoder: Geocoder, policy: AgentPolicy
    ) -> None:
        self._model, self._desk, self._geocoder, self._policy = model, desk, geocoder, policy
        self.label = model.label

    async def stream(self, turn: ModelTurn) -> AsyncIterator[ModelPart]:
        session = turn.session
        if session.owner_id is None:
            raise NotFound("No such page")
        # The page as the runner's claim read it, in its transaction: a read of its own here
        # was a transaction and three database round trips more before the first word.
        page = turn.page
        if page is None or page.owner_id != session.owner_id:
            raise NotFound("No such page")
        space = Workspace(session.owner_id, page.id, page.content.dump())
        tools = Toolbox(self._desk, self._geocoder, self._policy, space)
        run = _Run(self, tools, space, page_json(page), turn)
        async for part in run.parts():
            yield part
        yield MetadataPart(run.metadata())


class _Run:
    def __init__(
        self, owner: AgentTurn, tools: Toolbox, space: Workspace, page: str, turn: ModelTurn
    ) -> None:
        self._o, self._tools, self._space, self._page = owner, tools, space, page
        self._history = recent_messages(turn.history, owner._policy.history_chars)
        self._korean = bool(_HANGUL.search(turn.question))
        self._transcript: list[AgentMessage] = []
        self._agent = MAIN
        self._agents = [MAIN]
        self._calls = 0
        self._tool_calls = 0
        self._usage = UsageEvent()
        self._stopped: str | None = None
        self._changed: Page | None = None

    def metadata(self) -> dict[str, Any]:
        data: dict[str, Any] = {"agents": self._agents, "usage": attrs.asdict(self._usage)}
        if self._stopped:
            data["stopped"] = self._stopped
        return data

    async def parts(self) -> AsyncIterator[ModelPart]:
        policy = self._o._policy
        spoke = False
        while True:
            if self._calls >= policy.max_model_calls:
                yield self._cap("model_calls", spoke)
                return
            self._calls += 1
            shown = self._agent == OUTPUT
            text: list[str] = []
            calls: list[ToolCall] = []
            finished = False
            async for event in self._o._model.stream(self._request()):
                if isinstance(event, TextEvent):
                    text.append(event.text)
                    if shown and event.text:
                        spoke = True
                        yield TextDelta(event.text)
                elif isinstance(event, ToolCallEvent):
                    calls.append(event.call)
                elif isinstance(event, UsageEvent):
                    self._usage = self._usage.plus(event)
                elif isinstance(event, FinishEvent):
                    finished = True
            if not finished:
                raise IncompleteAnswer(f"the {self._agent} agent's answer ended early")
            if not calls:
                said = "".join(text)
                if not shown and said:
                    yield TextDelta(said)
                return
            self._transcript.append(AgentMessage("assistant", "".join(text), tuple(calls)))
            handoff: str | None = None
            for call in calls:
                if self._tool_calls >= policy.max_tool_calls:
                    yield self._cap("tool_calls", spoke)
                    return
                self._tool_calls += 1
                result = await self._tools.call(self._agent, call.name, call.arguments)
                self._record(call, result)
                if result.component is not None:
                    yield ComponentPart(result.component)
                handoff = handoff or result.handoff
            if handoff is not None:
                self._hand_over(handoff)

    def _request(self) -> ModelRequest:
        agent = self._agent
        return ModelRequest(
            agent=agent,
            system=SYSTEM_PROMPT,
            tools=ALL_SPECS,
            page=self._page,
            messages=self._history + tuple(self._transcript),
            brief=brief(self._page, agent),
        )

    def _record(self, call: ToolCall, result: ToolResult) -> None:
        self._changed = result.page or self._changed
        self._transcript.append(
            AgentMessage(
                "tool",
                result.content,
                tool_call_id=call.id,
                tool_name=call.name,
                is_error=result.is_error,
            )
        )

    def _hand_over(self, agent: str) -> None:
        self._agent = self._space.agent = agent
        self._agents.append(agent)
        if self._changed is not None:
            # The next agent is shown the page as this turn's last change left it; until the
            # next hand-over the page text stays the same, so each call's prefix is the
            # previous call's.
            self._page, self._space.seen = page_json(self._changed), self._changed.content.dump()
            self._changed = None

    def _cap(self, which: str, spoke: bool) -> TextDelta:
        self._stopped = which
        korean, english = CAP_NOTICES[which]
        notice = korean if self._korean else english
        return TextDelta(("\n\n" if spoke else "") + notice)


def tools_json() -> str:
    """The tool definitions as one text (what every request repeats byte for byte)."""
    return json.dumps(
        [[s.name, s.description, s.parameters] for s in ALL_SPECS],
        ensure_ascii=False,
        separators=(",", ":"),
    )
