"""Chaos runs R1–R6, R8 and R9 of quality.md against real processes, a fresh PostgreSQL database
and a private broker (started and owned by the run, so restarting it disturbs nobody): Redis,
or with ``--broker nats`` a ``nats-server -js`` on a free port with its own store directory
(``--broker redis,nats`` runs the scenarios on each, one after the other, in one table). R6
stops a PostgreSQL server of the run's own (``chaos_outages.py``; R6R freezes the broker), R9
restarts every process in turn with SIGTERM (``chaos_restarts.py``). R5 kills the broker and
starts it empty; R5K (NATS only) kills it and lets it recover its store from disk.

Every client is a WebSocket client (``chat_client.RoomClient``) that rebuilds its room from
the frames it receives and checks the streaming promise: no gap or duplicate in any message's
chunks, and a final text equal to the one stored (read back over HTTP). A run prints a table
of the faults injected and the outcomes and exits 1 on any gap, duplicate, mismatch or message
left in flight, or a missed target.

``python bench/chaos.py [--broker redis,nats] [--scenarios R1,R2,R3,R4,R5,R5K,R6,R6R,R8,R9]
[--streams 200] [--apis 3]
[--workers 2] [--server uvicorn|granian] [--delay-ms 500] [--lease 10] [--sweep 2] [--seed N]
[--json PATH] [--keep-logs] [--log-level WARNING] [--provider-turns 20] [--provider-timeout 60]
[--outage 15] [--env MOCHEONG_NAME=VALUE]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import attrs
import httpx
from chaos_outages import r6_broker, r6_postgres
from chaos_providers import r8
from chaos_restarts import r9
from chat_client import (
    RoomClient,
    SocketIORoomClient,
    close_socketio_http,
    create_page,
    open_anywhere,
    register,
    stored_messages,
)
from chat_report import add_broker_option, percentile
from chat_stack import Process, Stack, stream_broker

from entrypoints.bootstrap.settings import DEFAULT_SERVER
from mocheong_core.chat.stream import EventKind

IN_FLIGHT = {"pending", "streaming"}
WORKER_LOST = "worker_lost"  # reason of the sweeper's stream-reset (mocheong_core.chat.sweeper)


@attrs.define
class Outcome:
    scenario: str
    faults: str
    broker: str = "redis"
    streams: int = 0
    gaps: int = 0
    duplicates: int = 0
    mismatches: int = 0
    stuck: int = 0
    figures: dict[str, str] = attrs.Factory(dict)
    failures: list[str] = attrs.Factory(list)
    problems: list[str] = attrs.Factory(list)

    @property
    def ok(self) -> bool:
        bad = self.gaps or self.duplicates or self.mismatches or self.stuck
        return not bad and not self.failures


class Run:
    def __init__(self, stack: Stack, args: argparse.Namespace) -> None:
        self.stack = stack
        self.args = args
        self.rng = random.Random(args.seed)
        self.killed: set[str] = set()  # processes a scenario killed on purpose
        self.restarted: list[str] = []

    def kill(self, process: Process) -> None:
        self.killed.add(process.name)
        process.kill()

    async def supervise(self) -> None:
        """Restarts any process that exited on its own, as systemd or Kubernetes would; the
        scenario reports which ones needed it."""
        while True:
            await asyncio.sleep(1)
            for process in [*self.stack.apis, *self.stack.workers]:
                if not process.alive and process.name not in self.killed:
                    self.restarted.append(process.name)
                    process.start()

    # -- helpers ---------------------------------------------------------------------------

    def http(self) -> httpx.AsyncClient:
        api = self.stack.live_apis()[0]
        return httpx.AsyncClient(base_url=self.stack.api_url(api), timeout=30)

    def ws_urls(self) -> list[str]:
        return [self.stack.ws_url(i) for i in range(len(self.stack.apis))]

    async def clients(self, count: int, place: Callable[[int], int] | None = None) -> list[Any]:
        """``count`` clients, ten pages per user, each connected and joined to its room."""
        async with self.http() as http:
            tokens = [await register(http, "chaos") for _ in range(max(1, count // 10))]
            pages = await asyncio.gather(
                *(create_page(http, tokens[i % len(tokens)]) for i in range(count))
            )
        urls = self.ws_urls()
        every = round(1 / self.args.socketio_share) if self.args.socketio_share > 0 else 0
        clients = [
            (SocketIORoomClient if every and i % every == 0 else RoomClient)(
                urls, tokens[i % len(tokens)], page
            )
            for i, page in enumerate(pages)
        ]
        live = self.stack.live_apis()
        await asyncio.gather(
            *(
                open_anywhere(client, [place(i) if place else self.rng.choice(live)])
                for i, client in enumerate(clients)
            )
        )
        return clients

    async def follow(
        self,
        client: RoomClient,
        deadline: float,
        *,
        drop: tuple[float, float] | None = None,
        switch: float = 0.5,
        backoff: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        """Keeps the client connected until its messages are final: reconnects elsewhere when
        its API goes away and, with ``drop``, drops and resumes at random moments."""
        rng = random.Random(self.rng.random())
        while not client.all_final() and time.monotonic() < deadline:
            wait = rng.uniform(*drop) if drop else 1.0
            next_drop = time.monotonic() + wait
            while time.monotonic() < min(next_drop, deadline) and not client.all_final():
                client.changed.clear()
                if client.lost.is_set():
                    break
                left = max(0.0, min(next_drop, deadline) - time.monotonic())
                try:
                    async with asyncio.timeout(left):
                        await client.changed.wait()
                except TimeoutError:
                    pass
            if client.all_final() or time.monotonic() >= deadline:
                return
            if client.lost.is_set() or drop:
                if client.lost.is_set():
                    await asyncio.sleep(rng.uniform(*backoff))  # as a client backs off
                live = self.stack.live_apis()
                others = [api for api in live if api != client.api] or live
                current = client.api
                same = current in live and not client.lost.is_set()
                choice = rng.choice(others)
                if current is not None and same and rng.random() >= switch:
                    choice = current
                await open_anywhere(client, [choice, *others])

    async def verify(self, outcome: Outcome, clients: list[RoomClient]) -> None:
        async with self.http() as http:
            for client in clients:
                await client.close()
                assert client.session_id is not None
                stored = await stored_messages(http, client.token, client.session_id)
                mine = {mid: stored[mid] for mid in client.submitted if mid in stored}
                missing = [mid for mid in client.submitted if mid not in stored]
                outcome.problems += [f"{mid}: not stored" for mid in missing]
                outcome.stuck += sum(m["status"] in IN_FLIGHT for m in mine.values())
                problems = client.ledger.check_against(mine)
                outcome.gaps += client.ledger.gaps
                outcome.duplicates += client.ledger.duplicates + client.ledger.after_final
                counted = ("gap", "duplicate", "after its final")
                other = [p for p in problems if not any(word in p for word in counted)]
                outcome.mismatches += len(other) + len(missing)
                outcome.problems += problems
                unsent = sum("no final user message" in p for p in problems)
                if unsent:
                    key = "own user message never delivered to its sender"
                    outcome.figures[key] = str(int(outcome.figures.get(key, "0")) + unsent)
                stuck = [m for m in mine.values() if m["status"] in IN_FLIGHT]
                outcome.problems += [
                    f"{m['id']}: left {m['status']} at attempt {m['attempt']}" for m in stuck
                ]

        outcome.streams = len(clients)

    # -- scenarios ---------------------------------------------------------------------------

    async def r1(self) -> Outcome:
        count = self.args.streams
        outcome = Outcome("R1", f"{count} streams, drop/resume every 1–5 s, half on another API")
        clients = await self.clients(count)
        deadline = time.monotonic() + 180
        for _ in range(2):  # two replies per client, one after the other
            await asyncio.gather(*(client.submit() for client in clients))
            await asyncio.gather(*(self.follow(c, deadline, drop=(1, 5)) for c in clients))
        await self.verify(outcome, clients)
        reconnects = sum(client.reconnects for client in clients)
        outcome.faults += f"; {reconnects} drops and resumes"
        by_transport(outcome, clients, first=False)
        return outcome

    async def r2(self) -> Outcome:
        count = max(30, self.args.streams // 4)
        apis = self.stack.live_apis()
        victim = apis[0]
        held = count // len(apis)
        outcome = Outcome("R2", f"SIGKILL API process {victim} holding ~{held} sockets")
        # Client i is on Socket.IO when i is a multiple of 1/share: neighbours go to the same
        # API process, so the one killed holds both kinds of clients.
        clients = await self.clients(count, place=lambda i: apis[(i // 2) % len(apis)])
        await asyncio.gather(*(client.submit() for client in clients))
        deadline = time.monotonic() + 120
        # Clients wait a little before reconnecting, as browsers do: they then have missed
        # events, and the figure is how fast those come after the resume.
        followers = [
            asyncio.create_task(self.follow(c, deadline, backoff=(0.5, 1.5))) for c in clients
        ]
        await asyncio.sleep(1.5)
        on_victim = [c for c in clients if c.api == victim]
        self.kill(self.stack.apis[victim])
        await asyncio.gather(*followers)
        await self.verify(outcome, clients)
        delays = [c.replay_delays[0] * 1000 for c in on_victim if c.replay_delays]
        p99 = percentile(delays, 99)
        outcome.figures["first replayed event after reconnect p99"] = f"{p99:.0f} ms"
        by_transport(outcome, on_victim, first=True)
        nothing = sum(c.nothing_missed for c in on_victim)
        outcome.figures["resumed clients"] = (
            f"{len(delays)} replayed, {nothing} had missed nothing, of {len(on_victim)}"
        )
        if not delays or p99 > 200:
            outcome.failures.append(f"first replayed event p99 {p99:.0f} ms (target ≤ 200 ms)")
        self.stack.add_api()
        self.stack.wait_ready()
        return outcome

    async def r3(self) -> Outcome:
        count = max(30, self.args.streams // 4)
        self.stack.add_worker()  # the one left to run the retries
        killed, frozen = 0, 1
        freeze_for = self.args.lease + self.args.sweep + 4
        outcome = Outcome(
            "R3",
            f"SIGKILL worker {killed}; SIGSTOP worker {frozen} for {freeze_for:g} s, then SIGCONT",
        )
        clients = await self.clients(count)
        await asyncio.gather(*(client.submit() for client in clients))
        deadline = time.monotonic() + 150
        followers = [asyncio.create_task(self.follow(c, deadline)) for c in clients]
        await asyncio.sleep(1.5)
        fault_at = time.perf_counter()
        self.kill(self.stack.workers[killed])
        self.stack.workers[frozen].signal(signal.SIGSTOP)
        await asyncio.sleep(freeze_for)
        self.stack.workers[frozen].signal(signal.SIGCONT)
        await asyncio.gather(*followers)
        await self.verify(outcome, clients)
        delays = []
        for client in clients:
            for mid in client.submitted:
                final = client.ledger.view(mid).final or {}
                if mid in client.retried_at:
                    delays.append(client.retried_at[mid] - fault_at)
                elif final.get("status") == "failed" and mid in client.final_at:
                    delays.append(client.final_at[mid] - fault_at)
        slowest = max(delays, default=0.0)
        outcome.figures["runs retried or failed"] = str(len(delays))
        outcome.figures["slowest retry or failure after the fault"] = f"{slowest:.1f} s"
        if not delays:
            outcome.failures.append("no run was caught by the fault: nothing was tested")
        if slowest > 30:
            outcome.failures.append(f"a run took {slowest:.1f} s to be retried (target ≤ 30 s)")
        stale = await self.stale_writes([c.room for c in clients])
        outcome.figures["writes accepted from a stale attempt"] = str(stale)
        if stale:
            outcome.failures.append(f"{stale} writes accepted from a stale attempt")
        self.stack.add_worker()
        return outcome

    async def r4(self) -> Outcome:
        count = max(10, self.args.streams // 10)
        apis = self.stack.live_apis()
        via, on = apis[0], apis[1 % len(apis)]
        outcome = Outcome("R4", f"{count} cancels sent to API {via}, streams on API {on}")
        clients = await self.clients(count, place=lambda i: on)
        replies = await asyncio.gather(*(client.submit() for client in clients))
        deadline = time.monotonic() + 90
        followers = [asyncio.create_task(self.follow(c, deadline)) for c in clients]
        pairs = list(zip(clients, replies, strict=True))
        await asyncio.gather(*(self._wait_chunks(c, mid, 2) for c, mid in pairs))
        cancelled_at: dict[str, float] = {}
        async with httpx.AsyncClient(base_url=self.stack.api_url(via), timeout=30) as http:

            async def cancel(client: RoomClient, message_id: str) -> None:
                cancelled_at[message_id] = time.perf_counter()
                response = await http.post(
                    f"/api/chat/messages/{message_id}/cancel",
                    headers={"Authorization": f"Bearer {client.token}"},
                )
                response.raise_for_status()

            await asyncio.gather(*(cancel(c, mid) for c, mid in zip(clients, replies, strict=True)))
        await asyncio.gather(*followers)
        await self.verify(outcome, clients)
        lags = [
            (client.last_chunk_at.get(mid, 0.0) - cancelled_at[mid]) * 1000
            for client, mid in zip(clients, replies, strict=True)
        ]
        slowest = max(lags, default=0.0)
        statuses = [c.ledger.view(mid).final or {} for c, mid in zip(clients, replies, strict=True)]
        cancelled = sum(s.get("status") == "cancelled" for s in statuses)
        outcome.figures["last chunk after the cancel, worst"] = f"{max(slowest, 0):.0f} ms"
        outcome.figures["ended cancelled"] = f"{cancelled} of {count}"
        if slowest > 1000:
            outcome.failures.append(f"a chunk came {slowest:.0f} ms after its cancel (≤ 1 s)")
        if cancelled != count:
            outcome.failures.append(f"only {cancelled} of {count} replies ended cancelled")
        return outcome

    async def r5(self, *, keep_data: bool = False) -> Outcome:
        """The broker killed mid-stream and started again: empty (every in-flight reply's
        client must be told: a stream-reset or a snapshot), or on NATS with ``keep_data``
        recovering its store (nothing need be told, nothing may be lost)."""
        count = max(30, self.args.streams // 4)
        server = "NATS" if self.stack.nats is not None else "Redis"
        how = "recovering its store" if keep_data else "empty"
        outcome = Outcome(
            "R5K" if keep_data else "R5",
            f"private {server} killed and restarted {how} mid-stream",
        )
        if keep_data and self.stack.nats is None:
            outcome.failures.append("R5K needs --broker nats: the run's Redis keeps nothing")
            return outcome
        clients = await self.clients(count)
        replies = await asyncio.gather(*(client.submit() for client in clients))
        deadline = time.monotonic() + 180
        followers = [asyncio.create_task(self.follow(c, deadline)) for c in clients]
        await asyncio.sleep(2)
        pairs = list(zip(clients, replies, strict=True))
        in_flight = [(client, mid) for client, mid in pairs if not client.final(mid)]
        restarted_at = time.perf_counter()
        await asyncio.to_thread(self.stack.restart_broker, keep_data=keep_data)
        outcome.figures["broker down, then answering again after"] = (
            f"{time.perf_counter() - restarted_at:.1f} s"
        )
        await asyncio.gather(*followers)
        await self.verify(outcome, clients)
        silent = [
            mid
            for client, mid in in_flight
            if not client.ledger.snapshots and not client.ledger.view(mid).resets
        ]
        outcome.figures["in flight at the restart"] = str(len(in_flight))
        outcome.figures["told (stream-reset or snapshot)"] = str(len(in_flight) - len(silent))
        statuses = Counter(
            (client.ledger.view(mid).final or {}).get("status", "none") for client, mid in pairs
        )
        ended = ", ".join(f"{status} {n}" for status, n in sorted(statuses.items()))
        outcome.figures["replies ended"] = ended
        if silent and not keep_data:
            outcome.failures.append(f"{len(silent)} in-flight replies got no reset or snapshot")
        if not in_flight:
            outcome.failures.append("no reply was in flight at the restart: nothing was tested")
        return outcome

    async def _wait_chunks(self, client: RoomClient, message_id: str, count: int) -> None:
        async with asyncio.timeout(60):
            while client.ledger.view(message_id).next_seq <= count and not client.final(message_id):
                client.changed.clear()
                await client.changed.wait()

    async def stale_writes(self, rooms: list[str]) -> int:
        """Chunks of an attempt appended after a newer attempt of the same message began (its
        first chunk, or the reset the sweeper appends once it fenced the old attempt out),
        read back from the broker's stream through the port."""
        stale = 0
        url, prefix = self.stack.broker_url, self.stack.broker_prefix
        async with stream_broker(self.stack.broker, url, prefix) as broker:
            for room in rooms:
                newest: dict[str, int] = {}
                for event in (await broker.history(room, None, limit=100_000)).events:
                    message = event.message_id
                    if event.kind == EventKind.RESET and message:
                        if event.data.get("reason") == WORKER_LOST:
                            newest[message] = newest.get(message, 0) + 1
                        continue
                    if not message or event.kind not in (EventKind.CHUNK, EventKind.COMPONENT):
                        continue
                    if event.attempt < newest.get(message, 0):
                        stale += 1
                    newest[message] = max(newest.get(message, 0), event.attempt)
        return stale


def resume_stages(clients: list[RoomClient], *, first: bool) -> str:
    """p50/p99 in ms of each stage of the clients' reconnections (with ``first``, only the
    first of each): the connection's handshakes, ``resume`` → ``session-info``, ``resume`` →
    the first replayed event."""

    def stage(per_client: list[list[float]]) -> str:
        ms = [value * 1000 for values in per_client for value in values[: 1 if first else None]]
        return f"{percentile(ms, 50):.0f}/{percentile(ms, 99):.0f}" if ms else "–"

    replayed = sum(len(c.replay_delays[: 1 if first else None]) for c in clients)
    return (
        f"p50/p99 ms: connect {stage([c.connect_times for c in clients])}, session-info "
        f"{stage([c.info_delays for c in clients])}, first replayed "
        f"{stage([c.replay_delays for c in clients])} ({replayed} replayed)"
    )


def by_transport(outcome: Outcome, clients: list[RoomClient], *, first: bool) -> None:
    for name, kind in (("raw WebSocket", RoomClient), ("Socket.IO", SocketIORoomClient)):
        theirs = [c for c in clients if type(c) is kind]
        if theirs:
            key = f"  {name}: {len(theirs)} clients"
            outcome.figures[key] = resume_stages(theirs, first=first)


SCENARIOS: dict[str, Callable[[Run], Coroutine[Any, Any, Outcome]]] = {
    "R1": Run.r1,
    "R2": Run.r2,
    "R3": Run.r3,
    "R4": Run.r4,
    "R5": Run.r5,
    "R5K": lambda run: run.r5(keep_data=True),
    "R6": lambda run: r6_postgres(
        run, Outcome("R6", f"private PostgreSQL stopped for {run.args.outage:g} s under load")
    ),
    "R6R": lambda run: r6_broker(
        run,
        Outcome(
            "R6R",
            f"private {run.stack.broker} frozen (SIGSTOP) for {run.args.outage:g} s under load",
        ),
    ),
    "R9": lambda run: r9(
        run,
        Outcome(
            "R9", f"rolling restart (SIGTERM) of every API and worker, {run.args.streams} streams"
        ),
    ),
    "R8": lambda run: r8(
        run, Outcome("R8", f"model provider faults, {run.args.provider_turns} turns at once each")
    ),
}


def print_table(outcomes: list[Outcome]) -> None:
    header = (
        "broker",
        "scenario",
        "faults injected",
        "streams",
        "gaps",
        "dups",
        "mismatch",
        "stuck",
        "ok",
    )
    rows = [header] + [
        (
            o.broker,
            o.scenario,
            o.faults,
            str(o.streams),
            str(o.gaps),
            str(o.duplicates),
            str(o.mismatches),
            str(o.stuck),
            "yes" if o.ok else "NO",
        )
        for o in outcomes
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print()
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    for o in outcomes:
        name = f"{o.broker} {o.scenario}"
        for figure, value in o.figures.items():
            print(f"  {name} {figure}: {value}")
        for failure in o.failures:
            print(f"  {name} FAILED: {failure}")
        for problem in o.problems[:10]:
            print(f"  {name} problem: {problem}")
        if len(o.problems) > 10:
            print(f"  {name} … and {len(o.problems) - 10} more problems")


async def main_async(args: argparse.Namespace) -> list[Outcome]:
    env = {
        "MOCHEONG_OFFLINE_MODEL_DELAY_MS": str(args.delay_ms),
        "MOCHEONG_CHAT_LEASE_SECONDS": str(args.lease),
        "MOCHEONG_CHAT_SWEEP_INTERVAL": str(args.sweep),
        "MOCHEONG_RATE_CHAT_PER_USER": "100000",
        "MOCHEONG_RATE_RSVP_PER_IP": "100000",
        "MOCHEONG_DB_POOL_SIZE": "4",
        "MOCHEONG_DB_MAX_OVERFLOW": "6",
        "MOCHEONG_LOG_LEVEL": args.log_level,
        **dict(setting.split("=", 1) for setting in args.env),
    }
    outcomes = []
    wanted = [name.strip().upper() for name in args.scenarios.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenarios {', '.join(unknown)}: {', '.join(SCENARIOS)}")
    for broker in args.broker:
        with Stack(
            apis=args.apis,
            workers=args.workers,
            env=env,
            keep=args.keep_logs,
            private_postgres="R6" in wanted,
            server=args.server,
            broker=broker,
        ) as stack:
            print(f"chaos run: {stack.describe()}", file=sys.stderr)
            run = Run(stack, args)
            for name in wanted:
                if name == "R5K" and broker != "nats":
                    continue  # the run's Redis keeps nothing to recover
                print(f"running {name} on {broker} …", file=sys.stderr)
                outcome = await run_scenario(run, name)
                outcome.broker = broker
                outcomes.append(outcome)
    await close_socketio_http()
    return outcomes


async def run_scenario(run: Run, name: str) -> Outcome:
    supervisor = asyncio.create_task(run.supervise())
    try:
        outcome = await SCENARIOS[name](run)
    except (Exception, SystemExit) as exc:
        # A process the row needed is gone (SystemExit from the stack): the row fails and
        # the run goes on, so the rows before and after it still reach the table.
        outcome = Outcome(name, "did not complete")
        outcome.failures.append(repr(exc))
    finally:
        supervisor.cancel()
    if run.restarted:
        outcome.figures["exited on their own, restarted by the run"] = ", ".join(run.restarted)
        run.restarted = []
    counts = f"{outcome.gaps} gaps, {outcome.duplicates} dups, {outcome.mismatches} mismatches"
    verdict = "ok" if outcome.ok else f"FAILED ({counts}, {outcome.stuck} stuck)"
    print(f"{name}: {verdict} {'; '.join(outcome.failures)}", file=sys.stderr)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", default="R1,R2,R3,R4,R5,R5K,R6,R6R,R8,R9")
    add_broker_option(parser, default="redis")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--apis", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--server", default=DEFAULT_SERVER, help="the API processes' server")
    parser.add_argument(
        "--delay-ms", type=int, default=500, help="offline model pause between chunks"
    )
    parser.add_argument("--lease", type=float, default=10.0, help="chat lease seconds")
    parser.add_argument("--sweep", type=float, default=2.0, help="chat sweep interval seconds")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--socketio-share",
        type=float,
        default=0.0,
        help="share of the clients on Socket.IO instead of the raw WebSocket (0.5: every 2nd)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="MOCHEONG_NAME=VALUE",
        help="a setting of every process of the run (repeatable)",
    )
    parser.add_argument("--json", metavar="PATH")
    parser.add_argument("--keep-logs", action="store_true", help="keep the processes' logs")
    parser.add_argument("--log-level", default="WARNING", help="the processes' log level")
    parser.add_argument("--provider-turns", type=int, default=20, help="R8 turns per fault")
    parser.add_argument(
        "--outage", type=float, default=15.0, help="R6 seconds PostgreSQL or Redis is away"
    )
    parser.add_argument(
        "--provider-timeout", type=float, default=60.0, help="R8 LLM_READ_TIMEOUT, seconds"
    )
    args = parser.parse_args()
    outcomes = asyncio.run(main_async(args))
    print_table(outcomes)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        data = [{**attrs.asdict(o), "ok": o.ok} for o in outcomes]
        Path(args.json).write_text(json.dumps(data, indent=2, ensure_ascii=False))
    sys.exit(0 if outcomes and all(o.ok for o in outcomes) else 1)


if __name__ == "__main__":
    main()
