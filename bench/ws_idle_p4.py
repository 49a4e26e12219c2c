"""P4: idle WebSocket connections on one API process: memory per connection, and whether it
grows under connect/disconnect churn; for raw WebSocket and for Socket.IO connections in the
same run.

Holds N sockets on the product (``mocheong serve``, one process per transport, so neither
inherits what the other's closed sockets left to the allocator; each socket joined to a room
of its owner, ten per room) over ``/ws/chat`` and over Socket.IO (``/socket.io``, namespace
``/chat``, WebSocket transport), and, as the baseline, on ``chat_bare_app.py`` (same server
and settings); the three are held and churned side by side, each on its own process. Memory
is the server's resident set (its process group): per connection is the growth from N opened,
divided by N; churn closes and reopens ``--churn-rate`` sockets a second
with N held, and the figure is the growth over ``--churn-seconds`` of it. The first
``--churn-warmup`` seconds of churn are not counted: they raise the resident set once (the
allocator keeps what closed sockets freed for the next ones; the step is in the notes), and
from there it holds.

``python bench/ws_idle_p4.py [--connections 10000] [--churn-seconds 600] [--churn-rate 50]
[--churn-warmup 20] [--transports websocket,socketio] [--server granian|uvicorn|both]
[--json PATH]``: the defaults are quality.md's sizes. With ``--server both`` (the default) the
table has one group of rows per server, each with its own baseline. The bench raises its
open-file limit to the hard limit; 10,000 sockets need about 10,300 descriptors in the API
process.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chat_report import Table, add_server_option, base_parser, per_server
from chat_stack import Process, Stack
from ws_fanout_p3 import (
    Loaders,
    add_transports_option,
    product_specs,
    rooms_and_tokens,
    split,
)
from ws_load import raise_open_files

KB = 1024


def hold(
    stack: Stack, name: str, server: Process, specs: list[dict[str, Any]], args: Any
) -> dict[str, float]:
    # A first small batch warms what the first sockets create once (pools, the dispatcher).
    warm = Loaders(stack.folder, f"{name}-warm", [{**specs[0], **_first(specs[0], 20)}])
    warm.stop()
    time.sleep(1)
    before = server.rss_bytes()
    loaders = Loaders(stack.folder, name, specs)
    time.sleep(2)
    held = server.rss_bytes()
    count = sum(len(spec["urls"]) for spec in specs)
    per_loader = max(1, args.churn_rate // len(specs))
    answers = []
    # The first seconds of churn raise the resident set once (the allocator keeps what closed
    # sockets freed for the next ones); what is measured is the growth after that step.
    loaders.tell(f"churn {args.churn_warmup} {per_loader}")
    answers += loaders.answers()
    time.sleep(2)
    warmed = server.rss_bytes()
    loaders.tell(f"churn {args.churn_seconds} {per_loader}")
    answers += loaders.answers()
    time.sleep(2)
    churned = server.rss_bytes()
    loaders.stop()
    if any(answer != "done" for answer in answers):
        raise SystemExit(f"{name}: a load process failed while churning: {answers}")
    return {
        "connections": count,
        "rss_before_mb": before / 2**20,
        "rss_held_mb": held / 2**20,
        "rss_warmed_mb": warmed / 2**20,
        "rss_after_churn_mb": churned / 2**20,
        "kb_per_connection": (held - before) / KB / count,
        "warmup_step_mb": (warmed - held) / 2**20,
        "churn_growth_mb": (churned - warmed) / 2**20,
        "reopened": per_loader * len(specs) * args.churn_seconds,
    }


def _first(spec: dict[str, Any], count: int) -> dict[str, Any]:
    return {key: value[:count] for key, value in spec.items()}


def run_on(server: str, args: Any) -> tuple[dict[str, float], ...]:
    """The product over each of ``args.transports`` (an API process each), then the bare
    baseline, all on ``server``."""
    rooms = max(1, args.connections // 10)
    with Stack(apis=len(args.transports), workers=0, server=server) as stack:
        bare = stack.add_bare_app()
        pairs = asyncio.run(rooms_and_tokens(stack.api_url(0), rooms))
        held = (pairs * 10)[: args.connections]
        holds = [
            (
                f"product-{transport}",
                stack.apis[api],
                product_specs(stack, api, held, transport, args.loaders),
            )
            for api, transport in enumerate(args.transports)
        ]
        bare_ws = bare.replace("http://", "ws://") + "/bare/ws"
        bare_sockets = [f"{bare_ws}?room={room}" for room, _ in pairs] * 10
        specs = [{"urls": part} for part in split(bare_sockets[: args.connections], args.loaders)]
        assert stack.bare is not None
        holds.append(("bare", stack.bare, specs))
        # Side by side: each server process is measured on its own, and ten minutes of churn
        # once rather than once per transport.
        with ThreadPoolExecutor(len(holds)) as pool:
            running = [pool.submit(hold, stack, *one, args) for one in holds]
            return tuple(future.result() for future in running)


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--churn-seconds", type=int, default=600)
    parser.add_argument("--churn-rate", type=int, default=50, help="sockets reopened a second")
    parser.add_argument(
        "--churn-warmup", type=int, default=20, help="seconds of churn before the measured churn"
    )
    parser.add_argument("--loaders", type=int, default=2, help="client processes")
    add_transports_option(parser)
    add_server_option(parser)
    args = parser.parse_args()
    raise_open_files()

    table = Table(
        f"P4 idle WebSocket connections on one API process: {args.connections} held, "
        f"churn {args.churn_rate}/s for {args.churn_warmup} s of warm-up, then "
        f"{args.churn_seconds} s measured"
    )

    def rows(server: str, results: tuple[dict[str, float], ...]) -> None:
        *products, baseline = results
        for transport, product in zip(args.transports, products, strict=True):
            add_rows(table, f"{server}, {transport}", product, baseline, args)

    results = per_server(
        args, lambda server: run_on(server, args), rows, (*args.transports, "baseline")
    )
    if args.connections < 10_000 or args.churn_seconds < 600:
        table.note("quality.md's P4 is 10,000 held and 10 minutes of churn: see the flags")
    table.print()
    table.save(args.json, results=results, args=vars(args))


def add_rows(
    table: Table, server: str, product: dict[str, float], baseline: dict[str, float], args: Any
) -> None:
    per = product["kb_per_connection"]
    table.add(
        f"[{server}] memory per held connection",
        per,
        "KB",
        baseline=baseline["kb_per_connection"],
        target="≤ 32 KB",
        ok=per <= 32,
    )
    growth = product["churn_growth_mb"]
    table.add(
        f"[{server}] memory growth over the churn (after its warm-up)",
        growth,
        "MB",
        baseline=baseline["churn_growth_mb"],
        target="no growth",
        ok=growth <= max(2.0, 0.05 * product["rss_held_mb"]),
    )
    table.note(
        f"[{server}] API process RSS: {product['rss_before_mb']:.0f} MB before, "
        f"{product['rss_held_mb']:.0f} MB holding, {product['rss_warmed_mb']:.0f} MB after the "
        f"churn's warm-up, {product['rss_after_churn_mb']:.0f} MB after "
        f"{product['reopened']:,.0f} more reopens; bare app {baseline['rss_before_mb']:.0f} → "
        f"{baseline['rss_held_mb']:.0f} → {baseline['rss_warmed_mb']:.0f} → "
        f"{baseline['rss_after_churn_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
