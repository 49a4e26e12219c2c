"""A Messages API server as Anthropic streams it (``POST /v1/messages``, ``stream: true``).

Events: ``message_start`` (with the input usage), per content block ``content_block_start``,
``content_block_delta`` (``text_delta`` or ``input_json_delta``) and ``content_block_stop``,
``ping`` anywhere, ``message_delta`` (stop reason, output usage), then ``message_stop``. A
failure mid-stream is an ``error`` event (``overloaded_error``, ``api_error``); before the
stream, an HTTP status with the same error body (529 for overloaded).

The key is accepted as ``x-api-key`` or ``Authorization: Bearer`` (the anthropic 2.x SDK sends
the latter); ``auth_forms`` records which each request used.
"""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.http import Request
from tests.fakes.script import ScriptedServer, Status, Stream

MODEL = "fake-claude"


class FakeAnthropic(ScriptedServer):
    def __init__(self, key: str | None = "sk-ant-test") -> None:
        super().__init__("/v1/messages", ("message_stop", {"type": "message_stop"}))
        self.key = key
        self.auth_forms: list[str] = []

    def check(self, request: Request) -> Status | None:
        if "x-api-key" in request.headers:
            self.auth_forms.append("x-api-key")
            given = request.headers["x-api-key"]
        else:
            self.auth_forms.append("bearer")
            given = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.key is not None and given != self.key:
            return Status(401, error("authentication_error", "invalid x-api-key"))
        if "anthropic-version" not in request.headers:
            return Status(400, error("invalid_request_error", "anthropic-version: missing"))
        return None


def error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def overloaded() -> Status:
    return Status(529, error("overloaded_error", "Overloaded"))


def error_event(kind: str = "overloaded_error", message: str = "Overloaded") -> tuple[str, Any]:
    return ("error", error(kind, message))


def _event(kind: str, **fields: Any) -> tuple[str, Any]:
    return (kind, {"type": kind, **fields})


def start(input_tokens: int = 150, cache_read: int = 0, cache_write: int = 0) -> tuple[str, Any]:
    usage = {
        "input_tokens": input_tokens,
        "output_tokens": 1,
        "cache_read_input_tokens": cache_read,
        "cache_creation_input_tokens": cache_write,
    }
    message = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage,
    }
    return _event("message_start", message=message)


def text_block(index: int, *pieces: str) -> list[tuple[str, Any]]:
    block = {"type": "text", "text": ""}
    events = [_event("content_block_start", index=index, content_block=block)]
    events.append(_event("ping"))
    events += [
        _event("content_block_delta", index=index, delta={"type": "text_delta", "text": piece})
        for piece in pieces
    ]
    events.append(_event("content_block_stop", index=index))
    return events


def tool_block(
    index: int, call_id: str, name: str, arguments: dict[str, Any] | str, pieces: int = 3
) -> list[tuple[str, Any]]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    size = max(1, -(-len(text) // pieces))
    parts = [text[at : at + size] for at in range(0, len(text), size)]
    block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
    events = [_event("content_block_start", index=index, content_block=block)]
    events += [
        _event(
            "content_block_delta",
            index=index,
            delta={"type": "input_json_delta", "partial_json": part},
        )
        for part in ["", *parts]
    ]
    events.append(_event("content_block_stop", index=index))
    return events


def finish(stop_reason: str, output_tokens: int = 30) -> tuple[str, Any]:
    return _event(
        "message_delta",
        delta={"stop_reason": stop_reason, "stop_sequence": None},
        usage={"output_tokens": output_tokens},
    )


def reply(
    *texts: str,
    calls: list[tuple[str, str, dict[str, Any] | str]] = (),  # type: ignore[assignment]
    pieces: int = 3,
    usage: tuple[int, int, int, int] = (150, 30, 0, 0),
) -> Stream:
    """A whole streamed answer: one text block of ``texts``, then tool-use blocks
    ``(id, name, arguments)``; usage is (input, output, cache read, cache write)."""
    input_tokens, output_tokens, cache_read, cache_write = usage
    events = [start(input_tokens, cache_read, cache_write)]
    index = 0
    if texts:
        events += text_block(0, *texts)
        index = 1
    for offset, (call_id, name, arguments) in enumerate(calls):
        events += tool_block(index + offset, call_id, name, arguments, pieces)
    events.append(finish("tool_use" if calls else "end_turn", output_tokens))
    return Stream(events)
