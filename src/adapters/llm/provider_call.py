"""One streamed model call with the spec's rules on faults, for either SDK.

- The SDK retries what fails before the stream opens (408, 409, 429, 5xx, 529, a refused or
  dropped connection) with its own backoff and ``retry-after`` handling, within
  ``max_tries``. The stream's own errors come after the SDK's retry loop has returned; an
  overloaded (or other retryable) ``error`` event that arrives before the first part was
  given out starts the call again here, with the tries the SDK left (read from the
  ``x-stainless-retry-count`` header the SDK put on the request that succeeded). After the
  first part nothing is retried: the room has seen the text.
- Opening, retries included, has ``read_timeout`` seconds; between two events the SDK's read
  timeout applies. A stream that ends without its terminal event is a failure.
- Every way out closes the provider's response, a cancel included: the connection is closed,
  not left to the pool with an answer still coming.
- Whatever goes wrong leaves as a ``ProviderFailure`` whose reason can be shown to the couple.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, Self, TypeVar

import attrs
import httpx2
from prometheus_client import Counter

from adapters.llm.streamed import (
    TRUNCATED,
    AssembledCall,
    ProviderFailure,
    StreamedPart,
    TextPiece,
)
from mocheong_core.agents.ports import (
    FinishEvent,
    FinishReason,
    ModelEvent,
    TextEvent,
    ToolCall,
    ToolCallEvent,
    UsageEvent,
)

log = logging.getLogger(__name__)
# Served by /metrics of the process that runs the turns: the API's in the embedded mode, the
# worker's listener (MOCHEONG_WORKER_METRICS_PORT) otherwise.
TOKENS = Counter(
    "mocheong_model_tokens_total",
    "Tokens of model calls, by kind (input uncached, output, cache_read, cache_write)",
    ["provider", "model", "kind"],
)
FAILURES = Counter("mocheong_model_failures_total", "Model calls that failed", ["reason"])
E_contra = TypeVar("E_contra", contravariant=True)
E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)


class Assembler(Protocol[E_contra]):
    def feed(self, event: E_contra) -> list[StreamedPart]: ...

    def end(self) -> list[StreamedPart]: ...


class SdkStream(Protocol[E_co]):
    """The part of both SDKs' ``AsyncStream`` used here."""

    response: httpx2.Response

    def __aiter__(self) -> AsyncIterator[E_co]: ...

    async def close(self) -> None: ...


class RetryWaitCap:
    """Mixed into an SDK client (both are Stainless clients, with the same retry hooks): caps
    its wait before a retry at ``retry_wait_max``, even when ``retry-after`` asks for more.
    ``with_options`` builds a new client; the cap goes along."""

    def __init__(self, *, retry_wait_max: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_wait_max = retry_wait_max

    def copy(self, **kwargs: Any) -> Self:
        extra = {"retry_wait_max": self.retry_wait_max, **kwargs.pop("_extra_kwargs", {})}
        copied: Self = super().copy(**kwargs, _extra_kwargs=extra)  # type: ignore[misc]
        return copied

    with_options = copy

    def _calculate_retry_timeout(self, *args: Any, **kwargs: Any) -> float:
        wait: float = super()._calculate_retry_timeout(*args, **kwargs)  # type: ignore[misc]
        return min(wait, self.retry_wait_max)


@attrs.frozen(kw_only=True)
class ProviderConfig:
    """How to reach one provider and how long to bear with it (the ``LLM_*`` settings)."""

    model: str
    api_key: str = attrs.field(repr=False)
    base_url: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    """Seconds of silence allowed: before the stream opens (retries included), between events."""
    max_tries: int = 3
    retry_wait_max: float = 10.0
    max_tokens: int = 1024


async def stream_call(
    open_stream: Callable[[int], Awaitable[SdkStream[E]]],
    assembler: Callable[[], Assembler[E]],
    describe: Callable[[Exception], ProviderFailure],
    limits: ProviderConfig,
) -> AsyncGenerator[StreamedPart]:
    """Opens the stream with ``open_stream(max_retries)`` and gives out its parts."""
    tries_left = limits.max_tries
    while True:
        try:
            async with asyncio.timeout(limits.read_timeout):
                stream = await open_stream(tries_left - 1)
        except TimeoutError as exc:
            silent = ProviderFailure("The model provider did not answer in time")
            raise _logged(silent, exc) from None
        except Exception as exc:
            raise _logged(describe(exc), exc) from None
        tries_left -= _tries_used(stream)
        given_out = False
        try:
            parts = _parts(stream, assembler())
            async for part in parts:
                given_out = True
                yield part
            return
        except ProviderFailure as cut_off:  # the assembler's: a stream that did not end
            raise _logged(cut_off, cut_off) from None
        except Exception as exc:
            failure = _logged(describe(exc), exc)
            if given_out or not failure.retryable or tries_left <= 0:
                raise failure from None
        finally:
            await stream.close()
        used = limits.max_tries - tries_left
        await asyncio.sleep(min(0.5 * 2 ** (used - 1), limits.retry_wait_max))


async def _parts(stream: SdkStream[E], assembler: Assembler[E]) -> AsyncIterator[StreamedPart]:
    async for event in stream:
        for part in assembler.feed(event):
            yield part
    for part in assembler.end():
        yield part


def _tries_used(stream: SdkStream[E]) -> int:
    try:
        return int(stream.response.request.headers.get("x-stainless-retry-count", "0")) + 1
    except ValueError:
        return 1


def _logged(failure: ProviderFailure, exc: Exception) -> ProviderFailure:
    # The class and status only: an SDK's message may quote the request.
    log.warning("model call failed: %s (%s)", failure.reason, type(exc).__name__)
    FAILURES.labels(failure.reason).inc()
    return failure


def failure_for(
    *, status: int | None, kind: str | None, timed_out: bool, unreachable: bool, cut_off: bool
) -> ProviderFailure:
    """The readable failure for an SDK error, from what it says about itself. ``cut_off``:
    the connection broke mid-stream (the SDKs raise the HTTP client's own error there)."""
    if timed_out:
        return ProviderFailure("The model provider did not answer in time")
    if cut_off:
        return ProviderFailure(TRUNCATED, retryable=True)
    if unreachable:
        return ProviderFailure("The model provider could not be reached", retryable=True)
    if kind == "overloaded_error" or status == 529:
        return ProviderFailure(
            "The model provider is overloaded; try again shortly", retryable=True
        )
    if kind == "rate_limit_error" or status == 429:
        return ProviderFailure(
            "The model provider is rate limiting us; try again shortly", retryable=True
        )
    if status in (401, 403) or kind in ("authentication_error", "permission_error"):
        return ProviderFailure("The model provider refused our key")
    if status == 404 or kind == "not_found_error":
        return ProviderFailure("The model provider does not know the configured model")
    if status is not None and 400 <= status < 500 and status not in (408, 409):
        return ProviderFailure(f"The model provider refused the request ({status})")
    failed = status is not None and (status >= 500 or status in (408, 409))
    if failed or kind in ("api_error", "server_error"):
        return ProviderFailure("The model provider failed to answer", retryable=True)
    if kind is not None:
        return ProviderFailure(f"The model provider failed mid-answer ({kind})")
    return ProviderFailure("The model provider's answer could not be read")


def model_events(part: StreamedPart, label: dict[str, Any]) -> list[ModelEvent]:
    """The agents' port's events for one assembled part."""
    if isinstance(part, TextPiece):
        return [TextEvent(part.text)]
    if isinstance(part, AssembledCall):
        return [ToolCallEvent(ToolCall(part.id, part.name, part.arguments))]
    events: list[ModelEvent] = []
    if part.usage is not None:
        usage = part.usage
        provider, model = label["provider"], label["model"]
        for kind, count in (
            ("input", usage.input_tokens),
            ("output", usage.output_tokens),
            ("cache_read", usage.cache_read_tokens),
            ("cache_write", usage.cache_write_tokens),
        ):
            TOKENS.labels(provider, model, kind).inc(count)
        events.append(
            UsageEvent(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_tokens,
                cache_write_tokens=usage.cache_write_tokens,
                model=label["model"],
                provider=label["provider"],
            )
        )
    events.append(FinishEvent(FINISH_REASONS.get(part.reason, "other")))
    return events


# Both providers' stop and finish reasons, in the port's words.
FINISH_REASONS: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "stop": "stop",
    "tool_use": "tool_calls",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "max_tokens": "length",
    "length": "length",
}
