"""OpenAI Chat Completions — and any server that speaks it (Ollama, vLLM, llama.cpp) —
through the official ``openai`` SDK: the client as the settings configure it, a streamed
call with ``stream_options.include_usage``, and the SDK's errors as readable failures.

Pinned ``openai>=3.57,<4``. What changed in the newest majors that matters here: the SDK's
HTTP client is ``httpx2`` (2.x and older used ``httpx``), and a ``retry-after`` over two
minutes is not retried at all; shorter ones are obeyed, capped here at
``LLM_RETRY_WAIT_MAX``. Local servers ignore the key, but the SDK refuses to start without
one: a placeholder is sent when none is set.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import httpx2
import openai
from openai.types.chat import ChatCompletionChunk

from adapters.llm.openai_stream import ChunkAssembler
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
from mocheong_core.agents.ports import AgentMessage, ModelEvent, ModelRequest

KEYLESS = "unused"  # what a local server that checks no key is sent


class _Client(RetryWaitCap, openai.AsyncOpenAI):
    """The SDK's client, its waits before a retry capped."""


def make_client(config: ProviderConfig) -> openai.AsyncOpenAI:
    return _Client(
        api_key=config.api_key or KEYLESS,
        base_url=config.base_url or None,
        timeout=openai.Timeout(config.read_timeout, connect=config.connect_timeout),
        max_retries=config.max_tries - 1,
        retry_wait_max=config.retry_wait_max,
    )


def stream_completion(
    client: openai.AsyncOpenAI, config: ProviderConfig, request: dict[str, Any]
) -> AsyncGenerator[StreamedPart]:
    """Streams ``chat.completions.create(**request, stream=True)`` as assembled parts."""

    async def open_stream(max_retries: int) -> SdkStream[ChatCompletionChunk]:
        call = client.with_options(max_retries=max_retries)
        stream: openai.AsyncStream[ChatCompletionChunk]
        stream = await call.chat.completions.create(
            **request, stream=True, stream_options={"include_usage": True}
        )
        return stream

    return stream_call(open_stream, ChunkAssembler, describe, config)


def describe(exc: Exception) -> ProviderFailure:
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    # An error chunk mid-stream arrives as a bare APIError whose body is the error object.
    kind = body.get("type") if isinstance(body, dict) else None
    return failure_for(
        status=status if isinstance(status, int) else None,
        kind=kind if isinstance(kind, str) and kind != "invalid_request_error" else None,
        timed_out=isinstance(exc, openai.APITimeoutError | httpx2.TimeoutException),
        unreachable=isinstance(exc, openai.APIConnectionError),
        cut_off=isinstance(exc, httpx2.TransportError),
    )


class OpenAIChatModel:
    """The agents' model port on Chat Completions, streamed with function tools."""

    def __init__(self, client: openai.AsyncOpenAI, config: ProviderConfig) -> None:
        self._client, self._config = client, config
        self.label: dict[str, Any] = {"model": config.model, "provider": "openai"}

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        body = completion_request(request, self._config)
        parts = stream_completion(self._client, self._config, body)
        try:
            async for part in parts:
                for event in model_events(part, self.label):
                    yield event
        finally:
            await parts.aclose()


def completion_request(request: ModelRequest, config: ProviderConfig) -> dict[str, Any]:
    """The Chat Completions body in caching order: the system prompt and the tools (the same
    bytes for every agent and turn), the conversation, and the brief (the page, the agent)
    appended to the couple's newest message; OpenAI caches the longest prefix it saw on its
    own."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": request.system}]
    messages += [_message(message) for message in request.messages]
    at = last_user(request.messages)
    if at is not None and request.brief:
        asked = messages[at + 1]
        asked["content"] = f"{asked['content']}\n\n{request.brief}"
    # OpenAI's newer models refuse ``max_tokens``; the compatible servers (Ollama, older
    # vLLM and llama.cpp) know only ``max_tokens``.
    limit = "max_tokens" if config.base_url else "max_completion_tokens"
    body: dict[str, Any] = {"model": config.model, limit: config.max_tokens, "messages": messages}
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.name,
                    "description": t.description,
                    "parameters": dict(t.parameters),
                },
            }
            for t in request.tools
        ]
    return body


def _message(message: AgentMessage) -> dict[str, Any]:
    if message.role == "tool":
        # Chat Completions has no is_error: the result's JSON says ``error`` itself.
        return {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.content}
    if message.role == "assistant" and message.tool_calls:
        calls = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in message.tool_calls
        ]
        return {"role": "assistant", "content": message.content or None, "tool_calls": calls}
    return {"role": message.role, "content": message.content}
