"""P8: what the agents add to a turn.

1. Submit → first chunk at the client, as P7 measures it (an API process, a worker, a fresh
   PostgreSQL and a private Redis; a client on ``/ws/chat``), three times in one run with the
   worker swapped: the offline agent (P7 itself), a chat model that answers at once with no
   agents (the runner alone), and the agent loop with an agent model that answers at once
   (main hands over to output, which writes). The agent overhead is the last minus the second.
2. A scripted 10-turn conversation with the offline agent, in process on SQLite: the size of
   every model request (system prompt, tools, messages, brief, as a provider reads them) and
   how much of it is a byte-identical prefix of the previous request (of whichever agent:
   all of them send the same system prompt and tools), the part a provider's prompt cache
   can serve.

``python bench/agent_overhead_p8.py [--turns 60] [--rooms 3] [--conversation-only] [--json PATH]``
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from chat_first_chunk_p7 import turns
from chat_report import Table, base_parser, percentile
from chat_stack import BENCH, CLI, Process, Stack
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from adapters.llm.offline.agent import OfflineAgentModel
from entrypoints.app import create_app
from entrypoints.bootstrap.settings import evolve, load_settings
from mocheong_core.agents.conversation import rendered
from mocheong_core.agents.loop import tools_json
from mocheong_core.agents.ports import AgentModel, ModelEvent, ModelRequest

CONVERSATION = (
    "안녕하세요, 청첩장 만들려고 해요",
    "신랑 김도윤, 신부 박하은이에요.",
    "2027년 10월 9일 오후 1시 30분에 결혼해요.",
    "예식장은 더링크호텔 3층 그랜드볼룸이에요.",
    "아 시간은 2시로 바꿔줘",
    "신랑 아버지는 김철수, 어머니는 이영희예요.",
    "인사말 따뜻한 느낌으로 추천해줘",
    "방명록은 숨겨 주세요",
    "발행하려면 뭐가 더 필요해요?",
    "고마워요!",
)


async def first_chunks(
    stack: Stack, worker: list[str], args: Any
) -> tuple[list[float], list[float]]:
    process = Process(f"worker-{len(stack.workers)}", worker, _bench_env(stack), stack.folder)
    process.start()
    stack.workers.append(process)
    try:
        return await turns(stack, args)
    finally:
        process.stop()


def _bench_env(stack: Stack) -> dict[str, str]:
    env = stack.env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))
    return env


class Recorder:
    """Wraps the production agent model and keeps every request it is given, by turn."""

    def __init__(self, inner: AgentModel) -> None:
        self._inner = inner
        self.label = inner.label
        self.turn = 0
        self.requests: list[tuple[int, ModelRequest]] = []

    async def stream(self, request: ModelRequest) -> AsyncIterator[ModelEvent]:
        self.requests.append((self.turn, request))
        async for event in self._inner.stream(request):
            yield event


def prefix_shares(recorded: list[tuple[int, ModelRequest]]) -> list[tuple[int, int, int, int]]:
    """Per turn: model calls, request characters, and characters that repeat the previous
    request byte for byte from the start."""
    before = ""
    by_turn: dict[int, list[tuple[int, int]]] = {}
    for turn, request in recorded:
        text = rendered(request.system, tools_json(), request)
        same = len(os.path.commonprefix([before, text]))  # noqa: RUF071 - text, not paths
        before = text
        by_turn.setdefault(turn, []).append((len(text), same))
    return [
        (turn, len(calls), sum(c for c, _ in calls), sum(s for _, s in calls))
        for turn, calls in sorted(by_turn.items())
    ]


async def conversation() -> list[tuple[int, int, int, int]]:
    folder = Path(tempfile.mkdtemp(prefix="mocheong-p8-"))
    settings = evolve(
        load_settings(),
        env="test",
        data_dir=folder,
        database_url="",
        redis_url="",
        offline_model_delay_ms=0,
        chat_coalesce_ms=0,
        log_level="WARNING",
    )
    recorder = Recorder(OfflineAgentModel(delay_seconds=0))

    class RecordingProvider(Provider):
        @provide(scope=Scope.APP, override=True)
        def agent_model(self) -> AgentModel:
            return recorder

    async with AsyncTestClient(create_app(settings, RecordingProvider())) as client:
        registered = await client.post(
            "/api/auth/register",
            json={"email": "p8@example.com", "password": "p8-password-1234", "name": "p8"},
        )
        headers = {"Authorization": f"Bearer {registered.json()['access_token']}"}
        page = (await client.post("/api/pages", json={}, headers=headers)).json()
        for turn, text in enumerate(CONVERSATION, start=1):
            recorder.turn = turn
            accepted = await client.post(
                "/api/chat", json={"page_id": page["id"], "message": text}, headers=headers
            )
            await _ended(client, headers, accepted.json())
    return prefix_shares(recorder.requests)


async def _ended(client: Any, headers: dict[str, str], accepted: dict[str, Any]) -> None:
    path = f"/api/chat/sessions/{accepted['session_id']}/messages"
    for _ in range(3000):
        items = (await client.get(path, headers=headers)).json()["items"]
        if any(m["id"] == accepted["message_id"] and m["status"] == "completed" for m in items):
            return
        await asyncio.sleep(0.01)
    raise SystemExit("a turn of the scripted conversation did not end")


def latencies(args: Any) -> dict[str, list[float]]:
    env = {"MOCHEONG_RATE_CHAT_PER_USER": "100000", "MOCHEONG_LOG_LEVEL": "WARNING"}
    runs: dict[str, list[float]] = {}
    with Stack(apis=1, workers=0, env=env) as stack:
        worker = [sys.executable, str(BENCH / "agent_worker.py")]
        for name, command in (
            ("p7", [*CLI, "worker"]),
            ("plain", [*worker, "plain"]),
            ("agents", [*worker, "agents"]),
        ):
            runs[name], runs[f"{name}_ping"] = asyncio.run(first_chunks(stack, command, args))
    return runs


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--rooms", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument(
        "--conversation-only",
        action="store_true",
        help="only the scripted conversation's request sizes (no stack, no latencies)",
    )
    args = parser.parse_args()

    runs: dict[str, list[float]] = {}
    if not args.conversation_only:
        runs = latencies(args)
    shares = asyncio.run(conversation())

    table = Table(
        f"P8 agent overhead, submit → first chunk at the client ({args.turns} turns each, "
        "one API process, one worker, in one run)"
    )
    if runs:
        p7, plain, agents = (percentile(runs[n], 50) for n in ("p7", "plain", "agents"))
        table.add("P7: offline agent, p50", p7, "ms", baseline=percentile(runs["p7_ping"], 50))
        table.add("instant chat model, no agents, p50", plain, "ms")
        table.add(
            "instant agent model through the agent loop, p50",
            agents,
            "ms",
            baseline=plain,
            target="≤ P7 + 5 ms",
            ok=agents <= p7 + 5,
        )
        table.add("agent loop overhead (p50 difference)", agents - plain, "ms")
    for turn, calls, size, same in shares:
        table.add(
            f"turn {turn}: {calls} model calls, request characters (share a cached prefix)",
            size,
            "chars",
            target="≥ 70 % from turn 2" if turn > 1 else "",
            ok=(same / size >= 0.7) if turn > 1 else None,
        )
        table.note(f"turn {turn}: {same} of {size} characters repeat a prefix ({same / size:.0%})")
    table.print()
    table.save(args.json, runs=runs, conversation=shares, args=vars(args))


if __name__ == "__main__":
    main()
