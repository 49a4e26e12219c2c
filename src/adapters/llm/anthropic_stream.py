"""Messages stream events (as the anthropic SDK parses them) assembled into ``StreamedPart``s.

``message_start`` carries the input usage (cache reads and writes included), text arrives as
``text_delta``s, a ``tool_use`` block's input as ``input_json_delta`` fragments closed by its
``content_block_stop``; ``message_delta`` brings the stop reason and the output count, and
``message_stop`` ends the answer. Without ``message_stop`` the stream was cut off: a failure.
An ``error`` event never reaches this class: the SDK raises it as an ``APIStatusError``.
"""

from __future__ import annotations

from anthropic.types import RawMessageStreamEvent

from adapters.llm.streamed import (
    TRUNCATED,
    AssembledCall,
    Finished,
    ProviderFailure,
    StreamedPart,
    TextPiece,
    TokenUsage,
)


class EventAssembler:
    def __init__(self) -> None:
        self._calls: dict[int, tuple[str, str, list[str]]] = {}
        self._usage = TokenUsage(0, 0)
        self._stop_reason: str | None = None
        self._stopped = False

    def feed(self, event: RawMessageStreamEvent) -> list[StreamedPart]:
        if event.type == "message_start":
            usage = event.message.usage
            self._usage = TokenUsage(
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                cache_read_tokens=usage.cache_read_input_tokens or 0,
                cache_write_tokens=usage.cache_creation_input_tokens or 0,
            )
        elif event.type == "content_block_start":
            block = event.content_block
            if block.type == "tool_use":
                self._calls[event.index] = (block.id, block.name, [])
            elif block.type == "text" and block.text:
                return [TextPiece(block.text)]
        elif event.type == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta" and delta.text:
                return [TextPiece(delta.text)]
            if delta.type == "input_json_delta" and event.index in self._calls:
                self._calls[event.index][2].append(delta.partial_json)
        elif event.type == "content_block_stop":
            if event.index in self._calls:
                call_id, name, fragments = self._calls.pop(event.index)
                return [AssembledCall(call_id, name, "".join(fragments) or "{}")]
        elif event.type == "message_delta":
            self._stop_reason = event.delta.stop_reason or self._stop_reason
            self._usage = _updated(self._usage, event)
        elif event.type == "message_stop":
            self._stopped = True
        return []

    def end(self) -> list[StreamedPart]:
        if not self._stopped:
            raise ProviderFailure(TRUNCATED)
        return [Finished(self._stop_reason or "end_turn", self._usage)]


def _updated(usage: TokenUsage, event: RawMessageStreamEvent) -> TokenUsage:
    # message_delta's counts are cumulative; the input ones are only there when they changed.
    assert event.type == "message_delta"
    delta = event.usage
    return TokenUsage(
        input_tokens=delta.input_tokens if delta.input_tokens is not None else usage.input_tokens,
        output_tokens=delta.output_tokens,
        cache_read_tokens=(
            delta.cache_read_input_tokens
            if delta.cache_read_input_tokens is not None
            else usage.cache_read_tokens
        ),
        cache_write_tokens=(
            delta.cache_creation_input_tokens
            if delta.cache_creation_input_tokens is not None
            else usage.cache_write_tokens
        ),
    )
