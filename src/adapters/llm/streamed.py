"""What the provider adapters make of a streamed answer, whatever the wire: text as it comes,
each tool call once it is whole, the usage, how the answer finished; and the failure that
ends a reply with a reason the couple can read.

Token counts follow Anthropic's split, which adds up to the request's whole input:
``input_tokens`` were read uncached, ``cache_read_tokens`` came from the provider's prompt
cache, ``cache_write_tokens`` were written to it (OpenAI reports its cached tokens inside
``prompt_tokens``; its adapter takes them out).
"""

from __future__ import annotations

import attrs

from mocheong_core.errors import ServiceUnavailable


@attrs.frozen
class TextPiece:
    text: str


@attrs.frozen
class AssembledCall:
    """A tool call with its arguments as the model wrote them (JSON text, perhaps invalid:
    validating them is the agent's job, which sends a bad call back as an error result)."""

    id: str
    name: str
    arguments: str


@attrs.frozen
class TokenUsage:
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@attrs.frozen
class Finished:
    """The provider's terminal event was seen; ``reason`` is its stop or finish reason."""

    reason: str
    usage: TokenUsage | None


StreamedPart = TextPiece | AssembledCall | Finished


class ProviderFailure(ServiceUnavailable):
    """A model call that failed; ``reason`` is safe to show (no key, no trace, no body)."""

    code = "model_unavailable"
    title = "The model provider failed"

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


TRUNCATED = "The model provider's answer stopped before its end"
