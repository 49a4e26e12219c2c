"""P10: the costs of the busiest paths as the data grows, against the same run's empty database.

The product (``mocheong serve``, one process, on a private database of the machine's
PostgreSQL and a private Redis, both removed after the run) gets one measured page through its
API: published, with RSVP answers, guestbook entries and chat turns. The paths are timed on
the nearly empty database, then the database is grown around the page to P10's size
(``tests/growth_data.py``: 100,000 pages, 1,000,000 RSVPs, 1,000,000 guestbook entries and
1,000,000 chat messages at ``--scale 1``, each copied from the measured page's own rows inside
PostgreSQL, then ANALYZE) and the same paths are timed again. Figures (medians of the rounds):

- P1, warm: ``GET /i/{slug}``, the published page from the process's cache;
- P1, cold: ``GET /i/{slug}`` of pages never read before (each read once, so each one is the
  database lookup and the render), p50;
- P6: ``POST /api/chat`` submits, each with its own ``client_message_id``;
- the RSVP summary ``GET /api/pages/{id}/rsvps/summary``;
- a guestbook page ``GET /api/public/pages/{slug}/guestbook``;
- a chat resume, the history page a reconnecting client reads
  (``GET /api/chat/sessions/{id}/messages?limit=50``).

Target: each within 1.2 × its empty-database figure (req/s at least 1/1.2 of it, latency at
most 1.2 × it). The load is a closed loop of ``--connections`` Python clients on the same
machine, the same for both sizes: the ratio is the figure, not the absolute rate.

``python bench/growth_p10.py [--scale 1.0] [--duration 5] [--rounds 3] [--connections 8]
[--server uvicorn|granian] [--json PATH]``.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
from chat_report import Table, base_parser, median, percentile
from chat_stack import PG_ADMIN_DSN, Stack
from public_page_p1 import PAGE

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.growth_data import FULL, Volume, grow, row_counts

# The measured page: a large wedding's answers and entries, and a studio conversation.
PAGE_RSVPS, PAGE_ENTRIES, PAGE_TURNS = 150, 100, 20
# Pages read cold in each phase (distinct, never read before).
COLD_PAGES = 200
UNLIMITED = "100000000"
ENV = {
    "MOCHEONG_RATE_CHAT_PER_USER": UNLIMITED,
    "MOCHEONG_RATE_RSVP_PER_IP": UNLIMITED,
    "MOCHEONG_RATE_GUESTBOOK_PER_IP": UNLIMITED,
    "MOCHEONG_LOG_LEVEL": "WARNING",
}
RATE_TARGET = 1 / 1.2
LATENCY_TARGET = 1.2
Request = Callable[[httpx.AsyncClient, int], Any]
Measure = dict[str, float]


async def seed(base: str) -> dict[str, str]:
    """The measured page, made and filled through the API."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        account = {"email": f"p10-{uuid.uuid4().hex[:8]}@example.com", "password": "p10 pass 1234"}
        user = await http.post("/api/auth/register", json={**account, "name": "P10"})
        user.raise_for_status()
        owner = {"Authorization": f"Bearer {user.json()['access_token']}"}
        page = (await http.post("/api/pages", json=PAGE, headers=owner)).raise_for_status().json()
        (await http.post(f"/api/pages/{page['id']}/publish", headers=owner)).raise_for_status()
        slug = page["slug"]
        for n in range(PAGE_RSVPS):
            answer = {"attending": n % 4 != 0, "name": f"하객{n}", "side": "bride", "party_size": 2}
            (await http.post(f"/api/public/pages/{slug}/rsvps", json=answer)).raise_for_status()
        for n in range(PAGE_ENTRIES):
            entry = {
                "name": f"친구{n}",
                "message": "결혼 축하해! 행복하게 살아",
                "password": "1234",
            }
            (await http.post(f"/api/public/pages/{slug}/guestbook", json=entry)).raise_for_status()
        for n in range(PAGE_TURNS):
            turn = {"page_id": page["id"], "message": f"인사말을 다듬어줘 {n}"}
            (await http.post("/api/chat", json=turn, headers=owner)).raise_for_status()
        session = await http.post("/api/chat/sessions", json={"page_id": page["id"]}, headers=owner)
        session.raise_for_status()
    return {
        "token": user.json()["access_token"],
        "page": page["id"],
        "slug": slug,
        "session": session.json()["session_id"],
    }


def paths(seeded: dict[str, str]) -> dict[str, Request]:
    """Each timed figure's request; ``n`` numbers the requests of one run."""
    owner = {"Authorization": f"Bearer {seeded['token']}"}
    run = uuid.uuid4().hex[:8]

    def submit(http: httpx.AsyncClient, n: int) -> Any:
        body = {
            "page_id": seeded["page"],
            "message": "식순을 정리해줘",
            "client_message_id": f"{run}-{n}",
        }
        return http.post("/api/chat", json=body, headers=owner)

    return {
        "P1 GET /i/{slug}, warm": lambda http, _n: http.get(f"/i/{seeded['slug']}"),
        "P6 POST /api/chat": submit,
        "RSVP summary": lambda http, _n: http.get(
            f"/api/pages/{seeded['page']}/rsvps/summary", headers=owner
        ),
        "guestbook page": lambda http, _n: http.get(
            f"/api/public/pages/{seeded['slug']}/guestbook"
        ),
        "chat resume (history page)": lambda http, _n: http.get(
            f"/api/chat/sessions/{seeded['session']}/messages", params={"limit": 50}, headers=owner
        ),
    }


async def closed_loop(base: str, request: Request, connections: int, seconds: float) -> Measure:
    """``connections`` clients sending ``request`` back to back for ``seconds``."""
    latencies: list[float] = []
    failures = 0
    counter = itertools.count()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal failures
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await request(http, next(counter))
                if response.is_success:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    return {
        "per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "failures": failures,
    }


async def cold_reads(base: str, slugs: list[str]) -> Measure:
    """Each page read once, one after the other: the uncached path, p50 and p99."""
    latencies = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for slug in slugs:
            started = time.perf_counter()
            (await http.get(f"/i/{slug}")).raise_for_status()
            latencies.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}


def measure(base: str, seeded: dict[str, str], cold: list[str], args: Any) -> dict[str, Measure]:
    """Every figure, the median of ``--rounds`` rounds (the cold reads split among them)."""
    runs: dict[str, list[Measure]] = {}
    requests = paths(seeded)
    share = len(cold) // args.rounds
    for round_number in range(args.rounds):
        for name, request in requests.items():
            result = asyncio.run(closed_loop(base, request, args.connections, args.duration))
            runs.setdefault(name, []).append(result)
        slugs = cold[round_number * share : (round_number + 1) * share]
        runs.setdefault("P1 GET /i/{slug}, cold", []).append(asyncio.run(cold_reads(base, slugs)))
    return {
        name: {key: median([run[key] for run in results]) for key in results[0]}
        for name, results in runs.items()
    }


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of P10's sizes")
    parser.add_argument("--duration", type=float, default=5, help="seconds per figure and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    args = parser.parse_args()

    volume = FULL.scaled(args.scale)
    # The API is added after the stack starts, to wait longer for it on a loaded machine.
    with Stack(apis=0, workers=0, env=ENV, server=args.server) as stack:
        stack.add_api()
        stack.wait_ready(timeout=300)
        base = stack.api_url(0)
        seeded = asyncio.run(seed(base))
        dsn = f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{stack.db_name}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            # "Empty": the measured page and the few pages read cold, one row of each kind apiece.
            grow(conn, seeded["page"], Volume(COLD_PAGES, COLD_PAGES, COLD_PAGES, COLD_PAGES))
            empty_counts = row_counts(conn)
            empty = measure(base, seeded, [f"growth-{n}" for n in range(1, COLD_PAGES + 1)], args)
            print(f"growing the database to {volume} ...", file=sys.stderr)
            seconds = grow(conn, seeded["page"], volume, first=COLD_PAGES + 1)
            grown_counts = row_counts(conn)
        pages = range(COLD_PAGES + 1, COLD_PAGES + volume.pages + 1)
        cold = [f"growth-{n}" for n in random.sample(pages, min(COLD_PAGES, len(pages)))]
        grown = measure(base, seeded, cold, args)

    table = Table(
        f"P10 cost as data grows (scale {args.scale:g}: {grown_counts['pages']:,} pages, "
        f"{grown_counts['rsvps']:,} RSVPs, {grown_counts['guestbook_entries']:,} guestbook "
        f"entries, {grown_counts['chat_messages']:,} chat messages) against the empty database, "
        f"{args.server}, median of {args.rounds} rounds"
    )
    add_rows(table, empty, grown)
    table.note(
        f"grown in {sum(seconds.values()):.0f} s: "
        + ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())
    )
    table.note(
        f"the closed loop is {args.connections} Python clients on the same 2 cores as the API, "
        "PostgreSQL and Redis: compare the ratios"
    )
    table.print()
    table.save(
        args.json,
        empty=empty,
        grown=grown,
        counts={"empty": empty_counts, "grown": grown_counts},
        grow_seconds=seconds,
        args=vars(args),
    )


# Per measured key: its label, unit, target and the test of the ratio grown / empty.
ROWS: tuple[tuple[str, str, str, str, Callable[[float], bool] | None], ...] = (
    ("per_s", "req/s", "req/s", f"≥ {RATE_TARGET:.2f} ×", lambda ratio: ratio >= RATE_TARGET),
    ("p50_ms", "p50", "ms", f"≤ {LATENCY_TARGET:.1f} ×", lambda ratio: ratio <= LATENCY_TARGET),
    ("p99_ms", "p99", "ms", "", None),
)


def add_rows(table: Table, empty: dict[str, Measure], grown: dict[str, Measure]) -> None:
    for name, result in grown.items():
        before = empty[name]
        for key, label, unit, target, judge in ROWS:
            if key not in result:
                continue
            ok = None
            if judge is not None:
                ok = judge(result[key] / before[key]) and not result.get("failures")
            table.add(
                f"{name}, {label}", result[key], unit, baseline=before[key], target=target, ok=ok
            )


if __name__ == "__main__":
    main()
