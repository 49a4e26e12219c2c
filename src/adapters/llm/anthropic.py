"""The Anthropic Messages API through the official ``anthropic`` SDK: the client as the
settings configure it, a streamed call, and the SDK's errors as readable failures.

Pinned ``anthropic>=2.16,<3``. What changed in 2.x that matters here: ``api_key`` is sent as
``Authorization: Bearer`` (1.x and older sent ``x-api-key``), so a server or proxy that only
reads ``x-api-key`` needs ``ANTHROPIC_AUTH_HEADER=x-api-key``; the SDK's HTTP client is
``httpx2``, not ``httpx``; and a ``retry-after`` is obeyed however long it asks for (1.x
ignored values over 60 s) — capped here at ``LLM_RETRY_WAIT_MAX``.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
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
    stream_call,
)
from adapters.llm.streamed import ProviderFailure, StreamedPart


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
