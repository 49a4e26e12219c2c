"""Either model fake behind one face, with the settings that point the product at it, and the
scripted turn that fills a page (names; a bad call the model corrects; a reply)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import attrs

from tests.fakes import anthropic_messages as am
from tests.fakes import openai_chat as oa
from tests.fakes.http import Request
from tests.fakes.script import ScriptedServer, Status, Stream

PROVIDERS = ("openai", "anthropic")
NAMES = {"couple": {"groom": {"name": "김도윤"}, "bride": {"name": "박하은"}}}
Call = tuple[str, str, dict[str, Any] | str]
Step = tuple[tuple[str, ...], list[Call]]
# Each model call of the turn: the text it streams and the tool calls it makes.
NAMES_TURN: list[Step] = [
    ((), [("c1", "transfer_to_context", {})]),
    (("이름을 저장할게요",), [("c2", "update_page", '{"patch": {"couple": ')]),  # cut JSON
    ((), [("c3", "update_page", {"patch": NAMES}), ("c4", "transfer_to_output", {})]),
    (("두 분 이름을 ", "넣었어요. ", "예식 날짜도 알려주세요."), []),
]
NAMES_TURN_REPLY = "두 분 이름을 넣었어요. 예식 날짜도 알려주세요."
# The brief after the couple's newest message names the agent asked (``role_note``).
_AGENT_ASKED = re.compile(r"You are the (\w+) agent now")


def agent_asked(request: Request) -> str:
    """Which agent makes this model call. Every agent's request lists all the tools (one
    cacheable prefix), so only the brief tells them apart."""
    found = _AGENT_ASKED.findall(json.dumps(request.json(), ensure_ascii=False))
    if not found:
        raise LookupError("the request names no agent: has the brief's wording changed?")
    return str(found[-1])


@attrs.frozen
class FakeProvider:
    name: str
    server: ScriptedServer

    @property
    def key(self) -> str:
        return "sk-ant-test" if self.name == "anthropic" else "sk-test"

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/v1" if self.name == "openai" else self.server.url

    def reply(self, texts: tuple[str, ...], calls: list[Call], **options: Any) -> Stream:
        make = am.reply if self.name == "anthropic" else oa.reply
        return make(*texts, calls=calls, **options)

    def partial(self, text: str) -> list[tuple[str | None, Any]]:
        """The first events of an answer that has streamed ``text`` so far."""
        if self.name == "anthropic":
            return [am.start(), *am.text_block(0, text)[:3]]
        return [(None, oa.chunk({"content": text}))]

    def error_event(self) -> tuple[str | None, Any]:
        """A server error in the stream, as the provider sends it mid-answer."""
        if self.name == "anthropic":
            return am.error_event("api_error", "Internal server error")
        return (None, oa.error("The server had an error processing your request", "server_error"))

    def busy(self, status: int, retry_after: str = "1") -> Status:
        """A refusal before the stream: 429, 5xx, or 529 (Anthropic's overloaded)."""
        if self.name == "anthropic":
            kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(status, "api_error")
            body = am.error(kind, "busy")
        else:
            body = oa.error("busy", "requests" if status == 429 else "server_error")
        return Status(status, body, (("retry-after", retry_after),))

    def script_turn(self, steps: list[Step], pieces: int = 4) -> None:
        self.server.script(*(self.reply(texts, calls, pieces=pieces) for texts, calls in steps))

    def settings(self) -> dict[str, Any]:
        """``Settings`` fields that make the product use this fake."""
        return {
            "llm_provider": self.name,
            f"{self.name}_base_url": self.base_url,
            f"{self.name}_api_key": self.key,
            f"{self.name}_model": "fake-model",
        }


@contextlib.asynccontextmanager
async def fake_provider(name: str) -> AsyncIterator[FakeProvider]:
    server: ScriptedServer = am.FakeAnthropic() if name == "anthropic" else oa.FakeOpenAI()
    async with server:
        yield FakeProvider(name, server)
