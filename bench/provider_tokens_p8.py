"""P8, the provider half: a scripted 10-turn conversation through each provider fake (the
real openai and anthropic SDKs, over HTTP, in process on SQLite), and for every model request
as the provider received it: its size, and how much of it is a byte-identical prefix of the
previous request (of whichever agent: all send the same system prompt and tools) — what a
prompt cache can serve.

The prefix is taken in the order the provider reads a request: Anthropic caches tools, then
system, then messages; OpenAI's automatic cache reads the tools and the messages in order.
Token counts need the provider's tokenizer, which is not available offline: sizes are in
characters here; real input, cache-read and cache-write tokens are stored on every reply
(``metadata.usage``) and counted in ``/metrics``.

``python bench/provider_tokens_p8.py [--json PATH]``
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from agent_overhead_p8 import CONVERSATION
from chat_report import Table, base_parser
from litestar.testing import AsyncTestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.http import Request
from tests.fakes.providers import PROVIDERS, FakeProvider, agent_asked, fake_provider
from tests.fakes.script import Answer

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import evolve, load_settings

# What each turn of CONVERSATION changes on the page (by its 1-based number).
PATCHES: dict[int, dict[str, Any]] = {
    2: {"couple": {"groom": {"name": "김도윤"}, "bride": {"name": "박하은"}}},
    3: {"ceremony": {"starts_at": "2027-10-09T13:30:00+09:00"}},
    4: {"venue": {"name": "더링크호텔", "hall": "3층 그랜드볼룸"}},
    5: {"ceremony": {"starts_at": "2027-10-09T14:00:00+09:00"}},
}


class Conversation:
    """Answers each model call as the agent asking would: main routes, context writes the
    turn's patch, output replies."""

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider
        self.turn = 0
        self.calls = 0

    def respond(self, request: Request) -> Answer:
        self.calls += 1
        agent = agent_asked(request)
        patch = PATCHES.get(self.turn)
        if agent == "main":
            target = "transfer_to_context" if patch else "transfer_to_output"
            return self.provider.reply((), [(f"m{self.calls}", target, {})])
        if agent == "context" and patch:
            calls = [
                (f"u{self.calls}", "update_page", {"patch": patch}),
                (f"o{self.calls}", "transfer_to_output", {}),
            ]
            return self.provider.reply(("반영할게요",), calls)
        return self.provider.reply(("네, 알려주신 대로 ", "청첩장에 반영했어요."), [])


def rendered(provider: str, body: dict[str, Any]) -> str:
    dump = json.dumps  # the SDKs send JSON; compare it as sent, field by field
    if provider == "anthropic":
        return dump(body.get("tools")) + dump(body["system"]) + dump(body["messages"])
    return dump(body.get("tools")) + dump(body["messages"])


def prefix_shares(
    provider: str, requests: list[tuple[int, dict[str, Any]]]
) -> list[tuple[int, int, int, int]]:
    """Per turn: model calls, request characters, and characters repeating the previous
    request from the start."""
    before = ""
    by_turn: dict[int, list[tuple[int, int]]] = {}
    for turn, body in requests:
        text = rendered(provider, body)
        same = len(os.path.commonprefix([before, text]))  # noqa: RUF071
        before = text
        by_turn.setdefault(turn, []).append((len(text), same))
    return [
        (turn, len(calls), sum(c for c, _ in calls), sum(s for _, s in calls))
        for turn, calls in sorted(by_turn.items())
    ]


async def conversation(name: str) -> list[tuple[int, int, int, int]]:
    folder = Path(tempfile.mkdtemp(prefix=f"mocheong-p8-{name}-"))
    async with fake_provider(name) as provider:
        script = Conversation(provider)
        provider.server.respond = script.respond
        settings = evolve(
            load_settings(env_file=None),
            env="test",
            data_dir=folder,
            chat_coalesce_ms=0,
            log_level="WARNING",
            **provider.settings(),
        )
        turns: list[int] = []
        async with AsyncTestClient(create_app(settings)) as client:
            registered = await client.post(
                "/api/auth/register",
                json={"email": "p8@example.com", "password": "p8-password-1234", "name": "p8"},
            )
            headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
            page = (await client.post("/api/pages", json={}, headers=headers)).json()
            for turn, text in enumerate(CONVERSATION, start=1):
                script.turn = turn
                before = len(provider.server.requests)
                accepted = await client.post(
                    "/api/chat", json={"page_id": page["id"], "message": text}, headers=headers
                )
                await _ended(client, headers, accepted.json())
                turns += [turn] * (len(provider.server.requests) - before)
        bodies = provider.server.bodies()
    return prefix_shares(name, list(zip(turns, bodies, strict=True)))


async def _ended(client: Any, headers: dict[str, str], accepted: dict[str, Any]) -> None:
    path = f"/api/chat/sessions/{accepted['session_id']}/messages"
    for _ in range(3000):
        items = (await client.get(path, headers=headers)).json()["items"]
        found = next(m for m in items if m["id"] == accepted["message_id"])
        if found["status"] == "completed":
            return
        if found["status"] != "pending" and found["status"] != "streaming":
            raise SystemExit(f"a turn ended {found['status']}: {found['metadata']}")
        await asyncio.sleep(0.01)
    raise SystemExit("a turn of the scripted conversation did not end")


def main() -> None:
    parser = base_parser(__doc__ or "")
    args = parser.parse_args()
    table = Table(
        "P8 cacheable prefix per turn, scripted 10-turn conversation through each provider "
        "fake (real SDKs over HTTP)"
    )
    results: dict[str, list[tuple[int, int, int, int]]] = {}
    for name in PROVIDERS:
        results[name] = shares = asyncio.run(conversation(name))
        for turn, calls, size, same in shares:
            table.add(
                f"{name} turn {turn}: {calls} model calls, request characters",
                size,
                "chars",
                target="≥ 70 % a cached prefix from turn 2" if turn > 1 else "",
                ok=(same / size >= 0.7) if turn > 1 else None,
            )
            table.note(
                f"{name} turn {turn}: {same} of {size} characters repeat ({same / size:.0%})"
            )
    table.print()
    table.save(args.json, conversation=results)


if __name__ == "__main__":
    main()
