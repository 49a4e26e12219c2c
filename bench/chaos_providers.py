"""R8 of quality.md: model provider faults under concurrent turns.

For each provider fake (the real openai and anthropic SDKs in a worker process of the run,
talking HTTP to a fake in this process) and each fault, ``--provider-turns`` turns are
submitted at once; the main agent hands each over to the output agent, whose call meets the
fault: 429, 503 or 529 before the stream (retried: the reply completes), 529 on every try
(the tries run out: the reply fails), an error event mid-answer, a stream cut before its end,
a provider that stops talking (the reply fails within ``LLM_READ_TIMEOUT``). The run's other
workers are stopped meanwhile so the provider worker takes every turn. Targets: retried
faults complete, the others end ``failed`` with a readable reason within 70 s, 0 messages
left ``streaming``; and every fault reached as many output agent calls as there were turns.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import httpx
from chat_client import create_page, register, stored_messages
from chat_stack import CLI, Process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fakes.http import Request
from tests.fakes.providers import PROVIDERS, FakeProvider, agent_asked, fake_provider
from tests.fakes.script import Answer, Ending, Stream

if TYPE_CHECKING:
    from chaos import Outcome, Run

END_WITHIN = 70.0  # seconds, quality.md R8


@attrs.frozen
class Fault:
    answer: Callable[[], Answer]
    """The answer to the output agent's first try (or every try)."""
    expected: str
    """How the reply must end."""
    every_try: bool = False
    """The retries meet the fault too (else they are answered)."""


def _faults(provider: FakeProvider) -> dict[str, Fault]:
    partial = provider.partial("잠시만 기다려 주세요, ")
    return {
        "429 before the stream": Fault(lambda: provider.busy(429), "completed"),
        "503 before the stream": Fault(lambda: provider.busy(503), "completed"),
        "529 overloaded before the stream": Fault(lambda: provider.busy(529), "completed"),
        "529 overloaded on every try": Fault(lambda: provider.busy(529), "failed", every_try=True),
        "error event mid-answer": Fault(
            lambda: Stream([*partial, provider.error_event()], Ending.HANG), "failed"
        ),
        "stream cut before its end": Fault(lambda: Stream(partial, Ending.CUT), "failed"),
        "provider stops talking": Fault(lambda: Stream(partial, Ending.HANG), "failed"),
    }


RETRIED_REPLY = "다시 답할게요."


class FaultyConversation:
    """Main hands over to output; output's first try meets ``fault``, its retries succeed
    unless the fault is on every try. ``served`` counts the first tries that met the fault,
    so a run whose faults never reached the output agent's call cannot pass."""

    def __init__(self, provider: FakeProvider) -> None:
        self.provider = provider
        self.fault = Fault(lambda: provider.reply(("네",), []), "completed")
        self.served = 0

    def respond(self, request: Request) -> Answer:
        if agent_asked(request) != "output":
            return self.provider.reply((), [("t1", "transfer_to_output", {})])
        first = request.headers.get("x-stainless-retry-count", "0") == "0"
        self.served += first
        if first or self.fault.every_try:
            return self.fault.answer()
        return self.provider.reply(("다시 ", "답할게요."), [])


async def r8(run: Run, outcome: Outcome) -> Outcome:
    stack = run.stack
    paused = [w for w in stack.workers if w.alive]
    for worker in paused:
        run.kill(worker)
    try:
        for name in PROVIDERS:
            async with fake_provider(name) as provider:
                await _provider_faults(run, outcome, provider)
    finally:
        for worker in paused:
            run.killed.discard(worker.name)
            worker.start()
    return outcome


async def _provider_faults(run: Run, outcome: Outcome, provider: FakeProvider) -> None:
    conversation = FaultyConversation(provider)
    provider.server.respond = conversation.respond
    settings = {f"MOCHEONG_{k.upper()}": str(v) for k, v in provider.settings().items()}
    env = run.stack.env(
        **settings,
        MOCHEONG_LLM_READ_TIMEOUT=str(run.args.provider_timeout),
        MOCHEONG_LLM_RETRY_WAIT_MAX="1",
    )
    worker = Process(f"{provider.name}-worker", [*CLI, "worker"], env, run.stack.folder)
    worker.start()
    try:
        # A first turn waits for the worker to start; the faults are timed after it.
        await _turns(run, 1)
        for fault, answer in _faults(provider).items():
            conversation.fault, conversation.served = answer, 0
            await _fault(run, outcome, f"{provider.name}: {fault}", answer.expected)
            if conversation.served < run.args.provider_turns:
                outcome.failures.append(
                    f"{provider.name}: {fault}: the fault reached {conversation.served} of "
                    f"{run.args.provider_turns} output agent calls: nothing was tested"
                )
    finally:
        worker.stop()


async def _fault(run: Run, outcome: Outcome, label: str, expected: str) -> None:
    count = run.args.provider_turns
    ended, took = await _turns(run, count)
    outcome.streams += count
    stuck = count - len(ended)
    statuses = [m["status"] for m in ended]
    right = statuses.count(expected)
    outcome.stuck += stuck
    outcome.figures[label] = f"{right} of {count} {expected}, last ended after {took:.1f} s"
    if right != count:
        outcome.failures.append(f"{label}: {statuses.count('failed')} failed, {stuck} in flight")
    if took > END_WITHIN:
        outcome.failures.append(f"{label}: a reply took {took:.0f} s to end (≤ {END_WITHIN} s)")
    reasons = sorted(
        {str(m.get("metadata", {}).get("error", "")) for m in ended if m["status"] == "failed"}
    )
    if reasons:
        outcome.figures[f"{label}: reasons"] = " | ".join(reasons)
    if any(not reason or "Traceback" in reason for reason in reasons):
        outcome.failures.append(f"{label}: a failed reply without a readable reason")
    if expected == "completed" and any(m["content"] != RETRIED_REPLY for m in ended):
        outcome.failures.append(f"{label}: a completed reply is not the retried answer")


async def _turns(run: Run, count: int) -> tuple[list[dict[str, Any]], float]:
    """Submits ``count`` turns at once; the replies that ended (within the bound) and the
    seconds the last one took."""
    async with run.http() as http:
        token = await register(http, "r8")
        pages = await asyncio.gather(*(create_page(http, token) for _ in range(count)))
        started = time.monotonic()
        accepted = await asyncio.gather(*(_submit(http, token, page) for page in pages))
        ended: dict[str, dict[str, Any]] = {}
        took = 0.0
        while len(ended) < count and time.monotonic() - started < END_WITHIN + 10:
            for session, message in accepted:
                if message in ended:
                    continue
                found = (await stored_messages(http, token, session)).get(message)
                if found is not None and found["status"] not in ("pending", "streaming"):
                    ended[message] = found
                    took = time.monotonic() - started
            await asyncio.sleep(0.25)
    return list(ended.values()), took


async def _submit(http: httpx.AsyncClient, token: str, page: str) -> tuple[str, str]:
    response = await http.post(
        "/api/chat",
        json={"page_id": page, "message": "인사말 써줘"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    body = response.json()
    return str(body["session_id"]), str(body["message_id"])
