"""CPU per chat submit inside one process, steady enough to compare changes on a noisy machine.

The whole ASGI app (``create_app``, no server and no client sockets) on a fresh PostgreSQL
database and a private Redis, with ``--concurrency`` submits in flight at a time, as a busy
API process has. In the same process and the same minutes it also measures the ``Submit`` use
case called straight through the dishka container (no HTTP shell, no authentication), and a
fixed Python loop, the machine's speed at that moment. Figures are microseconds of this
process's CPU per submit (medians of ``--rounds``); the servers' own CPU is not counted.

It is a diagnostic, not one of quality.md's targets: P6 (``chat_submit_p6.py``) measures the
served product. The difference between the two paths is what the HTTP shell (routing,
authentication, parsing, the response) costs per submit.

``python bench/submit_cpu.py [--submits 4000] [--concurrency 16] [--rounds 3] [--json PATH]``
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from chat_report import Table, base_parser, median
from chat_stack import Stack
from dishka import AsyncContainer, Scope
from litestar import Litestar

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import load_settings
from mocheong_core.chat.usecases import Submit

TEXT = "예식장 주소를 알려드릴게요"


def calibration_ms() -> float:
    """The fastest of three runs of a fixed loop: lower is a faster machine right now."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(range(10**7))
        best = min(best, time.perf_counter() - started)
    return best * 1000


def asgi_submit(app: Litestar, token: str, page: str) -> Callable[[str], Awaitable[None]]:
    async def submit(client_message_id: str) -> None:
        body = json.dumps(
            {"page_id": page, "message": TEXT, "client_message_id": client_message_id}
        ).encode()
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/chat",
            "raw_path": b"/api/chat",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"bench"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"authorization", f"Bearer {token}".encode()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("bench", 80),
        }
        delivered = False
        statuses: list[int] = []

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # the client never leaves
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)  # type: ignore[arg-type]
        if statuses != [202]:
            raise SystemExit(f"POST /api/chat answered {statuses}")

    return submit


def direct_submit(
    container: AsyncContainer, user_id: str, page: str
) -> Callable[[str], Awaitable[None]]:
    async def submit(client_message_id: str) -> None:
        async with container(scope=Scope.REQUEST) as request:
            use_case = await request.get(Submit)
            await use_case(user_id, TEXT, page_id=page, client_message_id=client_message_id)

    return submit


async def cpu_per_submit(
    submit: Callable[[str], Awaitable[None]], submits: int, concurrency: int
) -> float:
    """µs of this process's CPU per submit, ``concurrency`` at a time."""
    prefix = uuid.uuid4().hex[:8]
    numbers = iter(range(submits))

    async def lane() -> None:
        for n in numbers:
            await submit(f"{prefix}-{n}")

    started = time.process_time()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return (time.process_time() - started) / submits * 1e6


async def measure(stack: Stack, args: Any) -> dict[str, list[float]]:
    os.environ.update(
        {
            "MOCHEONG_DATABASE_URL": stack.database_url,
            "MOCHEONG_REDIS_URL": stack.redis_url,
            "MOCHEONG_RATE_CHAT_PER_USER": "100000000",
            "MOCHEONG_LOG_LEVEL": "WARNING",
            "MOCHEONG_DATA_DIR": str(stack.folder / "data"),
        }
    )
    app = create_app(load_settings(env_file=None))
    results: dict[str, list[float]] = {"http": [], "use case": [], "calibration": []}
    async with (
        app.lifespan(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bench") as client,  # type: ignore[arg-type]
    ):
        email = f"cpu-{uuid.uuid4().hex[:8]}@example.com"
        registered = await client.post(
            "/api/auth/register",
            json={"email": email, "password": "bench-password-1234", "name": "cpu"},
        )
        token = registered.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        user_id = (await client.get("/api/auth/me", headers=headers)).json()["id"]
        page = (await client.post("/api/pages", json={}, headers=headers)).json()["id"]
        container: AsyncContainer = app.state.dishka_container
        paths = {
            "http": asgi_submit(app, token, page),
            "use case": direct_submit(container, user_id, page),
        }
        for submit in paths.values():  # warm caches, pools and prepared statements
            await cpu_per_submit(submit, 500, args.concurrency)
        for _ in range(args.rounds):
            results["calibration"].append(calibration_ms())
            for name, submit in paths.items():
                results[name].append(await cpu_per_submit(submit, args.submits, args.concurrency))
    return results


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--submits", type=int, default=4000, help="per path and round")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with Stack(apis=0, workers=0) as stack:
        results = asyncio.run(measure(stack, args))
    http, direct = median(results["http"]), median(results["use case"])
    table = Table(
        f"CPU per chat submit in one process, {args.concurrency} in flight, "
        f"median of {args.rounds} rounds of {args.submits:,}"
    )
    table.add("POST /api/chat through the ASGI app", http, "µs", baseline=direct)
    table.add("Submit through the container (baseline)", direct, "µs")
    table.add("the HTTP shell's share", http - direct, "µs")
    table.note(
        f"calibration (a fixed loop, lower is faster): {median(results['calibration']):.0f} ms"
    )
    table.print()
    table.save(args.json, results=results, args=vars(args))


if __name__ == "__main__":
    main()
