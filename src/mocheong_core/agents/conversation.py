"""What a model is shown of the conversation: the newest finished messages that fit a
character budget, older ones dropped whole; and the page as compact JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from mocheong_core.agents.ports import AgentMessage, ModelRequest
from mocheong_core.agents.prompts import role_note
from mocheong_core.agents.tools import AGENT_TOOLS
from mocheong_core.chat.model import Message, Role
from mocheong_core.pages.model import Page


def recent_messages(history: Sequence[Message], budget: int) -> tuple[AgentMessage, ...]:
    """The newest user and assistant messages within ``budget`` characters, oldest first.

    The last one (the couple's message of this turn) is always kept, even when it alone is
    over the budget; the kept part starts with a user message, as providers ask."""
    kept: list[AgentMessage] = []
    used = 0
    for message in reversed(history):
        if message.role not in (Role.USER, Role.ASSISTANT) or not message.content:
            continue
        if kept and used + len(message.content) > budget:
            break
        used += len(message.content)
        kept.append(AgentMessage(message.role.value, message.content))  # type: ignore[arg-type]
    kept.reverse()
    while len(kept) > 1 and kept[0].role != "user":
        kept.pop(0)
    return tuple(kept)


def _filled(value: Any) -> Any:
    """``value`` without empty fields (None, empty objects), which the tools' schema names."""
    if isinstance(value, dict):
        kept = {k: f for k, v in value.items() if (f := _filled(v)) is not None}
        return kept or None
    return value


def page_json(page: Page) -> str:
    """The page an agent works on: its filled content fields (a new page's empty fields were
    two thirds of its text), then its status and version, which change most often, last."""
    document: dict[str, Any] = _filled(page.content.dump()) or {}
    document.update(status=page.status.value, version=page.version)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def brief(page: str, agent: str) -> str:
    """What a request says after the couple's newest message: the page, then the agent."""
    return f"<page>{page}</page>\n{role_note(agent, AGENT_TOOLS[agent])}"


def last_user(messages: Sequence[AgentMessage]) -> int | None:
    """The index of the couple's newest message, which the request's brief follows."""
    found = [i for i, m in enumerate(messages) if m.role == "user"]
    return found[-1] if found else None


def rendered(system: str, tools: str, request: ModelRequest) -> str:
    """A request as one text in the order a provider reads it, to measure how much of it a
    prompt cache can hold (the benchmark compares consecutive requests)."""
    lines = [system, tools]
    at = last_user(request.messages)
    for i, m in enumerate(request.messages):
        calls = [[c.id, c.name, c.arguments] for c in m.tool_calls]
        lines.append(json.dumps([m.role, m.content, calls, m.tool_call_id], ensure_ascii=False))
        if i == at:
            lines.append(request.brief)
    return "\n".join(lines)
