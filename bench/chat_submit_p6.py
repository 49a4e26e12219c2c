"""P6: chat submits, ``POST /api/chat`` on PostgreSQL: accepted per second, and p99 at the
target rate.

The product (``mocheong serve --workers N``, on each ASGI server asked for, on a fresh
PostgreSQL database and a private broker; no chat worker, so the queued runs wait and only the
submit path is measured: the user message and the pending reply committed, the user's
``newMessage`` appended to the room's stream, the run queued: in arq on Redis, in the
JetStream work queue on NATS) against the baseline, a bare Litestar handler decoding the same
body on the same server and settings (``chat_bare_app.py``). With ``--broker redis,nats`` (the
default) both brokers' products run side by side, each round measuring the baseline and then
each broker, so a noisy moment of the shared machine hits them alike. Every submit carries its
own ``client_message_id``, as the clients send.

Two measurements, each in several rounds (medians):
- capacity: ``wrk -t1 -c<connections>``, as many submits as the server answers (closed loop:
  its latency is mostly the queue wrk keeps full, so its p99 is printed but not judged);
- at the target rate: an open-loop load (``open_loop.py``) sends ``--rate`` submits a second on
  a fixed schedule; its p99 counts from when each submit was due.

``python bench/chat_submit_p6.py [--api-workers 2] [--connections 32] [--duration 10]
[--rate 1000] [--rounds 3] [--server granian|uvicorn|both] [--broker redis,nats] [--json PATH]``;
the table has one group of rows per server and broker.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from chat_client import create_page, register
from chat_report import (
    Table,
    add_broker_option,
    add_server_option,
    base_parser,
    median,
    per_server,
    percentile,
)
from chat_stack import Stack
from open_loop import open_loop

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
# Each request gets its own client_message_id: the wrk run's prefix (its first argument after
# ``--``) and a counter.
LUA = """
local n = 0
local prefix = ""
init = function(args)
  prefix = args[1]
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = {auth}
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, string.format({body}, prefix .. n))
end
"""


def wrk(script: Path, url: str, args: Any, duration: int) -> dict[str, float]:
    """Accepted (2xx) requests per second and p99 (ms) of one wrk run."""
    binary = shutil.which("wrk")
    if binary is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    command = [binary, "-t1", f"-c{args.connections}", f"-d{duration}s", "--latency"]
    prefix = f"{uuid.uuid4().hex[:8]}-w"
    out = subprocess.run(
        [*command, "-s", str(script), url, "--", prefix],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    total = re.search(r"(\d+) requests in ([\d.]+)(s|m)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if total is None or p99 is None:
        sys.exit(f"could not read wrk's output:\n{out}")
    seconds = float(total.group(2)) * (60 if total.group(3) == "m" else 1)
    refused = int(errors.group(1)) if errors else 0
    return {
        "accepted_per_s": (int(total.group(1)) - refused) / seconds,
        "p99_ms": float(p99.group(1)) * UNITS[p99.group(2)],
        "refused": refused,
    }


async def submitter(base: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        token = await register(http, "p6")
        page = await create_page(http, token)
        # One submit first: it opens the page's chat session, as the first message of a page does.
        warm = await http.post(
            "/api/chat",
            json={"page_id": page, "message": "안녕하세요"},
            headers={"Authorization": f"Bearer {token}"},
        )
        warm.raise_for_status()
    return token, page


def http_request(url: str, token: str, body: str) -> Any:
    """``request(n)`` for the open loop: the submit with client_message_id ``<run>-o<n>``."""
    parts = urlsplit(url)
    prefix = uuid.uuid4().hex[:8]

    def request(n: int) -> bytes:
        payload = (body % f"{prefix}-o{n}").encode()
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        return head.encode() + payload

    return request


def at_rate(url: str, token: str, body: str, args: Any) -> dict[str, float]:
    parts = urlsplit(url)
    result = asyncio.run(
        open_loop(
            parts.hostname or "127.0.0.1",
            parts.port or 80,
            http_request(url, token, body),
            rate=args.rate,
            seconds=args.duration,
            connections=args.connections * 2,
        )
    )
    return {
        "accepted_per_s": result.ok_per_second,
        "p50_ms": percentile(result.latencies_ms, 50),
        "p99_ms": percentile(result.latencies_ms, 99),
        "refused": result.sent - result.ok,
    }


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--api-workers", type=int, default=2, help="mocheong serve --workers")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--rate", type=float, default=1000, help="submits a second, open loop")
    parser.add_argument("--rounds", type=int, default=3)
    add_server_option(parser)
    add_broker_option(parser)
    args = parser.parse_args()

    table = Table(
        f"P6 chat submit POST /api/chat on PostgreSQL, {args.api_workers} server worker(s), "
        f"median of {args.rounds} rounds of {args.duration}s"
    )
    results = per_server(
        args,
        lambda server: run_on(server, args),
        lambda server, result: add_rows(table, server, *result, args),
        ("capacity", "paced"),
    )
    table.note(
        "the API process(es), PostgreSQL, the brokers and the load share the machine's 2 cores"
    )
    table.print()
    table.save(args.json, results=results, args=vars(args))


Runs = dict[str, list[dict[str, float]]]


def run_on(server: str, args: Any) -> tuple[Runs, Runs]:
    """Capacity and paced runs of the bare handler and the product on each broker, on
    ``server``; keyed ``bare`` and the broker's name."""
    env = {"MOCHEONG_RATE_CHAT_PER_USER": "100000000", "MOCHEONG_LOG_LEVEL": "WARNING"}
    names = ["bare", *args.broker]
    capacity: Runs = {name: [] for name in names}
    paced: Runs = {name: [] for name in names}
    with ExitStack() as running:
        stacks = {
            broker: running.enter_context(
                Stack(
                    apis=1,
                    workers=0,
                    env=env,
                    api_workers=args.api_workers,
                    server=server,
                    broker=broker,
                )
            )
            for broker in args.broker
        }
        first = stacks[args.broker[0]]
        bare = first.add_bare_app()
        targets: dict[str, tuple[str, str, str]] = {}  # name → (url, token, body)
        for broker, stack in stacks.items():
            token, page = asyncio.run(submitter(stack.api_url(0)))
            # A %s-template of the body: the client_message_id goes in per request.
            body = json.dumps({"page_id": page, "message": "예식장 주소를 알려드릴게요"})
            body = body[:-1] + ', "client_message_id": "%s"}'
            targets[broker] = (f"{stack.api_url(0)}/api/chat", token, body)
        targets = {"bare": (f"{bare}/bare/chat", *targets[args.broker[0]][1:]), **targets}
        scripts = {}
        for name, (url, token, body) in targets.items():
            script = first.folder / f"submit-{name}.lua"
            script.write_text(LUA.format(auth=json.dumps(f"Bearer {token}"), body=json.dumps(body)))
            scripts[name] = script
            wrk(script, url, args, duration=2)  # warms connections and caches
        for _ in range(args.rounds):
            for name, (url, token, body) in targets.items():
                capacity[name].append(wrk(scripts[name], url, args, args.duration))
                paced[name].append(at_rate(url, token, body, args))
    return capacity, paced


def add_rows(table: Table, server: str, capacity: Runs, paced: Runs, args: Any) -> None:
    def med(runs: Runs, name: str, key: str) -> float:
        return median([run[key] for run in runs[name]])

    for broker in args.broker:
        label = f"{server}, {broker}"
        most = med(capacity, broker, "accepted_per_s")
        table.add(
            f"[{label}] capacity, wrk -c{args.connections}",
            most,
            "req/s",
            baseline=med(capacity, "bare", "accepted_per_s"),
            target="≥ 1,000",
            ok=most >= 1000,
            broker=broker,
        )
        table.add(
            f"[{label}] p99 at capacity (closed loop)",
            med(capacity, broker, "p99_ms"),
            "ms",
            baseline=med(capacity, "bare", "p99_ms"),
            broker=broker,
        )
        rate, p99 = med(paced, broker, "accepted_per_s"), med(paced, broker, "p99_ms")
        table.add(
            f"[{label}] accepted at {args.rate:,.0f}/s offered",
            rate,
            "req/s",
            baseline=med(paced, "bare", "accepted_per_s"),
            target=f"≥ {0.99 * args.rate:,.0f}",
            ok=rate >= 0.99 * args.rate,
            broker=broker,
        )
        table.add(
            f"[{label}] p50 at {args.rate:,.0f}/s",
            med(paced, broker, "p50_ms"),
            "ms",
            baseline=med(paced, "bare", "p50_ms"),
            broker=broker,
        )
        table.add(
            f"[{label}] p99 at {args.rate:,.0f}/s",
            p99,
            "ms",
            baseline=med(paced, "bare", "p99_ms"),
            target="≤ 50 ms",
            ok=p99 <= 50,
            broker=broker,
        )
        refused = sum(run["refused"] for run in capacity[broker] + paced[broker])
        if refused:
            table.note(f"[{label}] {refused} submits were refused (non-2xx) and are not counted")


if __name__ == "__main__":
    main()
