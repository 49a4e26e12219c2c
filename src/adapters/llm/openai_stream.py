"""Chat Completions chunks (as the openai SDK parses them) assembled into ``StreamedPart``s.

Tool-call deltas are keyed by ``index``: the first names the call (``id``, ``function.name``),
the next ones carry fragments of ``function.arguments`` — or all of them at once, as some
compatible servers send them. Some servers also give every call index 0; a delta with a new
``id`` at an index in use therefore starts a new call. The last chunk under
``stream_options.include_usage`` has ``choices: []`` and the usage. A stream without a
``finish_reason`` was cut off: that is a failure, never a short answer.
"""

from __future__ import annotations

import attrs
from openai.types.chat import ChatCompletionChunk

from adapters.llm.streamed import (
    TRUNCATED,
    AssembledCall,
    Finished,
    ProviderFailure,
    StreamedPart,
    TextPiece,
    TokenUsage,
)


@attrs.define
class _Call:
    id: str
    name: str
    arguments: list[str] = attrs.Factory(list)

    def assembled(self) -> AssembledCall:
        return AssembledCall(self.id, self.name, "".join(self.arguments) or "{}")


class ChunkAssembler:
    def __init__(self) -> None:
        self._open: dict[int, _Call] = {}
        self._done: list[_Call] = []
        self._finish: str | None = None
        self._usage: TokenUsage | None = None

    def feed(self, chunk: ChatCompletionChunk) -> list[StreamedPart]:
        if chunk.usage is not None:
            details = chunk.usage.prompt_tokens_details
            cached = (details.cached_tokens or 0) if details is not None else 0
            self._usage = TokenUsage(
                input_tokens=chunk.usage.prompt_tokens - cached,
                output_tokens=chunk.usage.completion_tokens,
                cache_read_tokens=cached,
            )
        parts: list[StreamedPart] = []
        for choice in chunk.choices:
            if choice.delta.content:
                parts.append(TextPiece(choice.delta.content))
            for delta in choice.delta.tool_calls or ():
                call = self._open.get(delta.index)
                if delta.id and (call is None or call.id != delta.id):
                    if call is not None:
                        self._done.append(call)
                    name = delta.function.name if delta.function else None
                    call = self._open[delta.index] = _Call(delta.id, name or "")
                if call is None:
                    raise ProviderFailure("The model provider sent a tool call without an id")
                if delta.function is not None and delta.function.arguments:
                    call.arguments.append(delta.function.arguments)
            if choice.finish_reason is not None:
                self._finish = choice.finish_reason
        return parts

    def end(self) -> list[StreamedPart]:
        """The calls and the finish, once the stream is over; raises when it was cut off."""
        if self._finish is None:
            raise ProviderFailure(TRUNCATED)
        calls = [*self._done, *(self._open[index] for index in sorted(self._open))]
        return [*(call.assembled() for call in calls), Finished(self._finish, self._usage)]
