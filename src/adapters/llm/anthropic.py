"""The Anthropic Messages API through the official ``anthropic`` SDK: the client as the
settings configure it, a streamed call, and the SDK's errors as readable failures.

Pinned ``anthropic>=2.16,<3``. What changed in 2.x that matters here: ``api_key`` is sent as
``Authorization: Bearer`` (1.x and older sent ``x-api-key``), so a server or proxy that only
reads ``x-api-key`` needs ``ANTHROPIC_AUTH_HEADER=x-api-key``; the SDK's HTTP client is
``httpx2``, not ``httpx``; and a ``retry-after`` is obeyed however long it asks for (1.x
ignored values over 60 s) — capped here at ``LLM_RETRY_WAIT_MAX``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any

import anthropic
import httpx2
from anthropic.types import RawMessageStreamEvent

from adapters.llm.anthropic_stream import EventAssembler
from adapters.llm.provider_call import (
    ProviderConfig,
    RetryWaitCap,
    SdkStream,
    failure_for,
    model_events,
    stream_call,
)
from adapters.llm.streamed import ProviderFailure, StreamedPart
from mocheong_core.agents.conversation import last_user
from mocheong_core.agents.ports import AgentMessage, ModelEvent, ModelRequest, ToolCall


class _Client(RetryWaitCap, anthropic.AsyncAnthropic):
    """The SDK's client, its waits before a retry capped."""


class _XApiKeyClient(_Client):
    """Sends the key as ``x-api-key``, the header the Messages API documents."""

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key or ""}


def make_client(config: ProviderConfig, *, auth_header: str = "bearer") -> anthropic.AsyncAnthropic:
    kind = _XApiKeyClient if auth_header == "x-api-key" else _Client
    return kind(
        api_key=config.api_key,
        base_url=config.base_url or None,
        timeout=anthropic.Timeout(config.read_timeout, connect=config.connect_timeout),
        max_retries=config.max_tries - 1,
        retry_wait_max=config.retry_wait_max,
    )


def stream_message(
    client: anthropic.AsyncAnthropic, config: ProviderConfig, request: dict[str, Any]
) -> AsyncGenerator[StreamedPart]:
    """Streams ``messages.create(**request, stream=True)`` as assembled parts."""

    async def open_stream(max_retries: int) -> SdkStream[RawMessageStreamEvent]:
        call = client.with_options(max_retries=max_retries)
        stream: anthropic.AsyncStream[RawMessageStreamEvent]
        stream = await call.messages.create(**request, stream=True)
        return stream

    return stream_call(open_stream, EventAssembler, describe, config)


def describe(exc: Exception) -> ProviderFailure:
    status = getattr(exc, "status_code", None)
    return failure_for(
        # An ``error`` event mid-stream arrives as an APIStatusError over the 200 response.
        status=status if isinstance(status, int) and status != 200 else None,
        kind=getattr(exc, "type", None) if isinstance(exc, anthropic.APIStatusError) else None,
        timed_out=isinstance(exc, anthropic.APITimeoutError | httpx2.TimeoutException),
        unreachable=isinstance(exc, anthropic.APIConnectionError),
        cut_off=isinstance(exc, httpx2.TransportError),
    )


_CACHED = {"type": "ephemeral"}


class AnthropicChatModel:
    """The agents' model port on the Messages API, streamed with tools."""

    def __init__(self, client: anthropic.AsyncAnthropic, config: ProviderConfig) -> None:
        self._client, self._config = client, config
        self.label: dict[str, Any] = {"model": config.model, "provider": "anthropic"}

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        parts = stream_message(self._client, self._config, message_request(request, self._config))
        try:
            async for part in parts:
                for event in model_events(part, self.label):
                    yield event
        finally:
            await parts.aclose()


def message_request(request: ModelRequest, config: ProviderConfig) -> dict[str, Any]:
    """The Messages body: tools, then the system prompt — the same for every agent and turn,
    each a cache breakpoint — then the conversation, the couple's newest message a third
    breakpoint (so the next agent and the next turn read the conversation so far from the
    cache), followed by the brief (the page, the agent) in a block of its own. The markers
    never move within a turn: each call's body is the previous one's with blocks added at
    its end."""
    tools: list[dict[str, Any]] = [
        {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
        for t in request.tools
    ]
    if tools:
        tools[-1]["cache_control"] = _CACHED
    system = [{"type": "text", "text": request.system, "cache_control": _CACHED}]
    body: dict[str, Any] = {
        "model": config.model,
        "max_tokens": config.max_tokens,
        "system": system,
        "messages": _messages(request.messages, request.brief),
    }
    if tools:
        body["tools"] = tools
    return body


def _messages(messages: Sequence[AgentMessage], brief: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    at = last_user(messages)
    for i, message in enumerate(messages):
        role, blocks = _blocks(message)
        if i == at:
            blocks[-1]["cache_control"] = _CACHED
            if brief:
                blocks.append({"type": "text", "text": brief})
        if out and out[-1]["role"] == role:
            # Tool results of one assistant turn go back together, in one user message.
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def _blocks(message: AgentMessage) -> tuple[str, list[dict[str, Any]]]:
    if message.role == "tool":
        result = {
            "type": "tool_result",
            "tool_use_id": message.tool_call_id,
            "content": message.content,
            "is_error": message.is_error,
        }
        return "user", [result]
    blocks: list[dict[str, Any]] = []
    if message.content:
        blocks.append({"type": "text", "text": message.content})
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": _input(call)})
    return message.role, blocks


def _input(call: ToolCall) -> dict[str, Any]:
    """A call's arguments as the object the API wants back; arguments that were not a JSON
    object (the call was refused for it) are kept as text so the model sees what it sent."""
    try:
        value = json.loads(call.arguments)
    except ValueError:
        value = None
    return value if isinstance(value, dict) else {"unparsed_arguments": call.arguments}
