"""A Chat Completions server as OpenAI and compatible servers (Ollama, vLLM) stream it.

Chunks follow ``POST /v1/chat/completions`` with ``stream: true``: a role chunk, content
deltas, tool-call deltas keyed by ``index`` (id and name in the first, the arguments in
fragments), a chunk with ``finish_reason``, with ``stream_options.include_usage`` a last
chunk with ``choices: []`` and ``usage``, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.http import Request
from tests.fakes.script import ScriptedServer, Status, Stream

MODEL = "fake-gpt"


class FakeOpenAI(ScriptedServer):
    def __init__(self, key: str | None = "sk-test") -> None:
        super().__init__("/v1/chat/completions", (None, "[DONE]"))
        self.key = key

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def check(self, request: Request) -> Status | None:
        if self.key is not None and request.headers.get("authorization") != f"Bearer {self.key}":
            return Status(401, error("Incorrect API key provided", "invalid_request_error"))
        return None


def error(message: str, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def chunk(delta: dict[str, Any] | None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_790_000_000,
        "model": MODEL,
        "choices": choices,
        **extra,
    }


def tool_call_chunks(
    index: int, call_id: str, name: str, arguments: dict[str, Any] | str, pieces: int = 3
) -> list[dict[str, Any]]:
    """The deltas of one tool call, its arguments split into ``pieces`` fragments (1: whole)."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    size = max(1, -(-len(text) // pieces))
    parts = [text[at : at + size] for at in range(0, len(text), size)] or [""]
    first = {"index": index, "id": call_id, "type": "function"}
    out = [chunk({"tool_calls": [{**first, "function": {"name": name, "arguments": parts[0]}}]})]
    out += [
        chunk({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
        for part in parts[1:]
    ]
    return out


def usage_chunk(prompt: int, completion: int, cached: int = 0) -> dict[str, Any]:
    return chunk(
        None,
        usage={
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    )


def reply(
    *texts: str,
    calls: list[tuple[str, str, dict[str, Any] | str]] = (),  # type: ignore[assignment]
    pieces: int = 3,
    usage: tuple[int, int, int] | None = (120, 30, 0),
    finish: str | None = None,
) -> Stream:
    """A whole streamed answer: text deltas, then tool calls ``(id, name, arguments)``."""
    events: list[dict[str, Any]] = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"content": text}) for text in texts]
    for index, (call_id, name, arguments) in enumerate(calls):
        events += tool_call_chunks(index, call_id, name, arguments, pieces)
    events.append(chunk({}, finish or ("tool_calls" if calls else "stop")))
    if usage is not None:
        events.append(usage_chunk(*usage))
    return Stream([(None, event) for event in events])
