"""What the agents need from outside: a model that can call tools, the page use cases, a
geocoder and a greeting writer.

``AgentModel`` is the widened model port. One call is a ``ModelRequest`` (the agent, its
system prompt, its tools as JSON Schema, the page as compact JSON, the conversation) and
answers with a stream of ``ModelEvent``s: text deltas, tool calls, usage and one finish.
It maps onto both provider families without loss:

- Anthropic Messages: ``system`` = [``system`` (cache breakpoint), ``page``]; ``tools`` =
  ``tools`` (``input_schema`` = ``parameters``, cache breakpoint on the last); an assistant
  message's ``tool_calls`` are ``tool_use`` blocks (``input`` = the parsed ``arguments``); each
  ``tool`` message a ``tool_result`` block (``tool_use_id``, ``is_error``) in a user turn;
  ``usage.input_tokens`` / ``output_tokens`` / ``cache_read_input_tokens`` /
  ``cache_creation_input_tokens``; ``stop_reason`` → ``FinishEvent.reason``.
- OpenAI Chat Completions: messages = system ``system``, system ``page``, then the
  conversation (assistant ``tool_calls`` with ``function.arguments`` as the text it is here;
  ``role: tool`` with ``tool_call_id``); ``tools`` = ``{"type": "function", "function":
  {name, description, parameters}}``; usage's ``prompt_tokens`` (minus
  ``prompt_tokens_details.cached_tokens``, which is ``cache_read``), ``completion_tokens``;
  ``finish_reason`` → ``FinishEvent.reason``.

The order is the caching order: ``system`` and ``tools`` are byte-identical across turns,
then the page, then the newest messages.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal, Protocol

import attrs

from mocheong_core.pages.content import PageContent
from mocheong_core.pages.maplinks import Attribution
from mocheong_core.pages.model import Page

MessageRole = Literal["user", "assistant", "tool"]


@attrs.frozen
class ToolSpec:
    name: str
    description: str
    parameters: Mapping[str, Any]
    """A JSON Schema object for the arguments."""


@attrs.frozen
class ToolCall:
    id: str
    name: str
    arguments: str
    """The arguments as the model wrote them: JSON text, maybe invalid."""


@attrs.frozen
class AgentMessage:
    """One message of the conversation as a model sees it.

    ``user`` and ``assistant`` carry ``content``; an assistant message may carry
    ``tool_calls``; a ``tool`` message is the result of the call ``tool_call_id`` (to the tool
    ``tool_name``), an error the model may correct when ``is_error``."""

    role: MessageRole
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    tool_name: str | None = None
    is_error: bool = False


@attrs.frozen
class ModelRequest:
    agent: str
    system: str
    tools: tuple[ToolSpec, ...]
    page: str
    """The page the agent works on, as compact JSON."""
    messages: tuple[AgentMessage, ...]
    """Oldest first; ends with a user message or a tool result."""
    brief: str = ""
    """Sent after the couple's newest message (the last ``user`` one): the page and which
    agent answers. Everything before it is the same for every agent, so a prompt cache
    serves it across agents and turns."""


@attrs.frozen
class TextEvent:
    text: str


@attrs.frozen
class ToolCallEvent:
    """A whole tool call (an adapter gathers a provider's argument fragments first)."""

    call: ToolCall


@attrs.frozen
class UsageEvent:
    input_tokens: int = 0
    """Input not read from a cache (Anthropic's ``input_tokens``)."""
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    model: str = ""
    provider: str = ""

    def plus(self, other: UsageEvent) -> UsageEvent:
        """Both calls' usage together (the later call's model and provider)."""
        return UsageEvent(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            other.model or self.model,
            other.provider or self.provider,
        )


FinishReason = Literal["stop", "tool_calls", "length", "other"]


@attrs.frozen
class FinishEvent:
    """The call ended as the provider said it did; a stream without it is a failure."""

    reason: FinishReason = "stop"


ModelEvent = TextEvent | ToolCallEvent | UsageEvent | FinishEvent


class AgentModel(Protocol):
    label: dict[str, Any]
    """Stored in each reply's metadata, e.g. ``{"model": "offline", "offline": true}``."""

    def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        """One model call. Raises on a provider failure; the caller stops a call by cancelling
        the task that iterates it, so an implementation closes its request in a ``finally``."""
        ...


class PageDesk(Protocol):
    """The page use cases the tools call on the couple's behalf, each in a unit of work of its
    own (a turn's tools run beside the runner's own writes)."""

    async def read(self, owner_id: str, page_id: str) -> Page:
        """The owner's page; ``NotFound`` otherwise."""
        ...

    async def update(
        self,
        owner_id: str,
        page_id: str,
        patch: Mapping[str, Any],
        *,
        expected_version: int,
        agent: str,
    ) -> Page:
        """``UpdatePage`` with ``by="agent"``; raises its ``DomainError``s."""
        ...

    async def undo(self, owner_id: str, page_id: str, *, agent: str) -> Page:
        """``UndoAgentChange``: reverts the last change an agent made; raises
        ``NothingToUndo`` (or ``EditedSinceAgentChange``) when there is none to revert."""
        ...


@attrs.frozen
class Place:
    name: str
    address: str
    road_address: str | None
    lat: float
    lng: float
    attribution: Attribution | None = None
    """The credit of the map source the place comes from, shown wherever it is shown."""

    def dump(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "road_address": self.road_address,
            "lat": self.lat,
            "lng": self.lng,
            "attribution": self.attribution.dump() if self.attribution else None,
        }


class Geocoder(Protocol):
    searches: bool
    """False for the ``none`` geocoder: nothing to search, the map agent is not asked."""
    attribution: Attribution | None
    """The credit its places need where they are shown (the map component, the venue on the
    public page); None when it finds nothing."""

    async def search(self, query: str, limit: int) -> list[Place]:
        """Up to ``limit`` places matching ``query``; raises ``ServiceUnavailable``."""
        ...


class GreetingWriter(Protocol):
    async def drafts(self, content: PageContent, tone: str, count: int) -> list[str]:
        """``count`` greeting drafts in ``tone`` from the page's facts."""
        ...
