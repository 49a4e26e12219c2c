"""P6: chat submits, ``POST /api/chat`` on PostgreSQL: accepted per second and p99.

The product (``mocheong serve``, one process, on a fresh PostgreSQL database and a private
Redis; no worker, so the queued runs wait and only the submit path is measured: the user
message and the pending reply stored in one transaction, the user's ``newMessage`` appended to
the room's stream, the run queued in arq) against the baseline, a bare Litestar handler
decoding the same body on the same server and settings (``chat_bare_app.py``). Load:
``wrk -t1 -c<connections>``, several rounds, medians.

``python bench/chat_submit_p6.py [--connections 32] [--duration 10] [--rounds 3]
[--json PATH]``
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from chat_client import create_page, register
from chat_report import Table, base_parser, median
from chat_stack import Stack

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
LUA = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = {auth}
"""


def wrk(script: Path, url: str, args: Any) -> dict[str, float]:
    """Accepted (2xx) requests per second and p99 (ms) of one wrk run."""
    binary = shutil.which("wrk")
    if binary is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    command = [binary, "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    out = subprocess.run(
        [*command, "-s", str(script), url], check=True, capture_output=True, text=True
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


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    env = {"MOCHEONG_RATE_CHAT_PER_USER": "100000000", "MOCHEONG_LOG_LEVEL": "WARNING"}
    runs: dict[str, list[dict[str, float]]] = {"product": [], "bare": []}
    with Stack(apis=1, workers=0, env=env) as stack:
        bare = stack.add_bare_app()
        token, page = asyncio.run(submitter(stack.api_url(0)))
        body = json.dumps(json.dumps({"page_id": page, "message": "예식장 주소를 알려드릴게요"}))
        script = stack.folder / "submit.lua"
        script.write_text(LUA.format(body=body, auth=json.dumps(f"Bearer {token}")))
        targets = {"product": f"{stack.api_url(0)}/api/chat/", "bare": f"{bare}/bare/chat"}
        for url in targets.values():
            wrk(script, url, warm_up_load(args))
        for _ in range(args.rounds):
            for name, url in targets.items():
                runs[name].append(wrk(script, url, args))

    def med(name: str, key: str) -> float:
        return median([run[key] for run in runs[name]])

    table = Table(
        f"P6 chat submit POST /api/chat on PostgreSQL, wrk -t1 -c{args.connections} "
        f"-d{args.duration}s, median of {args.rounds} rounds (granian, 1 worker)"
    )
    rate, p99 = med("product", "accepted_per_s"), med("product", "p99_ms")
    table.add(
        "accepted/s",
        rate,
        "req/s",
        baseline=med("bare", "accepted_per_s"),
        target="≥ 1,000",
        ok=rate >= 1000,
    )
    table.add("p99", p99, "ms", baseline=med("bare", "p99_ms"), target="≤ 50 ms", ok=p99 <= 50)
    refused = sum(run["refused"] for run in runs["product"])
    if refused:
        table.note(f"{refused} submits were refused (non-2xx) and are not counted")
    table.note("the API process, PostgreSQL, Redis and wrk share the machine's 2 cores")
    table.print()
    table.save(args.json, runs=runs, args=vars(args))


def warm_up_load(args: Any) -> Any:
    """The same load for two seconds, to warm connections and caches."""
    return type(args)(**{**vars(args), "duration": 2})


if __name__ == "__main__":
    main()
