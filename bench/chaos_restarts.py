"""R9 of quality.md: a rolling restart — SIGTERM to each API process, then each worker, in
turn, each started again once it exited — while every client keeps a conversation going.

Targets: every process exits 0 within ``EXIT_WITHIN`` seconds; every socket a stopping API
process ended was closed with 1012 or 1001 (a close frame, so clients resume elsewhere at
once); the streaming promise kept across it all (0 gaps, 0 duplicates, 0 mismatches, 0 replies
left in flight); replies a stopping worker could not finish are retried by another.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from typing import TYPE_CHECKING

from chat_client import RoomClient, open_anywhere
from chat_stack import Process

if TYPE_CHECKING:
    from chaos import Outcome, Run

EXIT_WITHIN = 30.0  # seconds, quality.md R9
GOING_AWAY = {1001, 1012}


async def r9(run: Run, outcome: Outcome) -> Outcome:
    stack = run.stack
    clients = await run.clients(run.args.streams)
    rolling = asyncio.Event()
    rolling.set()
    deadline = time.monotonic() + 600
    talkers = [asyncio.create_task(_converse(run, c, rolling, deadline)) for c in clients]
    await asyncio.sleep(3)  # replies are streaming when the first process stops
    exits: list[tuple[str, int | None, float]] = []
    # Processes an earlier row killed on purpose (R2's API, R3's worker) stay down.
    for api in [process for process in stack.apis if process.alive]:
        exits.append(await _restart(run, api))
        await asyncio.to_thread(stack.wait_ready, ignore=run.killed)
        outcome.figures[f"{api.name} back"] = "ready"
    for worker in [process for process in stack.workers if process.alive]:
        exits.append(await _restart(run, worker))
        await asyncio.sleep(3)  # a stream or two goes through the new worker
    rolling.clear()
    await asyncio.gather(*talkers)
    await run.verify(outcome, clients)
    codes = Counter(code for client in clients for code in client.close_codes)
    outcome.figures["sockets closed by the server, by code"] = (
        ", ".join(f"{code}×{n}" for code, n in sorted(codes.items(), key=str)) or "none"
    )
    outcome.figures["exits (code, seconds)"] = ", ".join(
        f"{name} {code} in {took:.1f} s" for name, code, took in exits
    )
    outcome.figures["replies retried after a stopped worker"] = str(
        sum(len(client.retried_at) for client in clients)
    )
    outcome.figures["replies"] = str(sum(len(client.replies) for client in clients))
    bad = {code: n for code, n in codes.items() if code not in GOING_AWAY}
    if bad:
        outcome.failures.append(f"sockets closed without a going-away code: {bad}")
    if not codes:
        outcome.failures.append("no socket was closed by a stopping process: nothing was tested")
    for name, code, took in exits:
        if code != 0 or took > EXIT_WITHIN:
            outcome.failures.append(f"{name} exited {code} after {took:.1f} s")
    return outcome


async def _restart(run: Run, process: Process) -> tuple[str, int | None, float]:
    """SIGTERM to the process alone (as Kubernetes sends it to a container's first process),
    then the same process started again once it exited."""
    assert process.popen is not None
    run.killed.add(process.name)  # the supervisor leaves it to this
    started = time.monotonic()
    process.popen.send_signal(signal.SIGTERM)
    exited = await asyncio.to_thread(process.wait, EXIT_WITHIN * 2)
    took = time.monotonic() - started
    code = process.popen.returncode if exited else None
    process.stop()  # kills what is left, closes its log
    process.start()
    run.killed.discard(process.name)
    return process.name, code, took


async def _converse(run: Run, client: RoomClient, rolling: asyncio.Event, deadline: float) -> None:
    """One reply after another while the roll goes on, reconnecting wherever it can."""
    while rolling.is_set() and time.monotonic() < deadline:
        try:
            await client.submit()
        except Exception:  # the socket went away under the submit: connect again, resend
            await asyncio.sleep(0.5)
            live = run.stack.live_apis()
            await open_anywhere(client, live or [0])
            continue
        await run.follow(client, deadline)
