"""P3: WebSocket fan-out on one API process: frames delivered per second to 1,000 clients in
100 rooms, and whether the process's memory stays bounded while it delivers; for raw
WebSocket clients and for Socket.IO clients, one after the other in the same run.

The product (``mocheong serve``, one process, on a private Redis, or with ``--broker nats`` on
a private ``nats-server -js``; ``--broker redis,nats``, the default, measures both in one run)
gets its rooms' events the way a worker appends them (``StreamBroker.append`` with a fence);
the clients (in their
own processes, ``ws_load.py``) are the rooms' owners joined over ``/ws/chat``, then the same
number joined over Socket.IO (``/socket.io``, namespace ``/chat``, WebSocket transport). The
baseline is ``chat_bare_app.py`` on the same server and settings: one pub/sub connection
fanning plain PUBLISHed frames out to the same number of sockets, with no stream, cursor or
queue (on the private Redis; measured once per server, the same baseline for every broker).
All are offered the same events per second; the figure is what the clients received in the
window.

``python bench/ws_fanout_p3.py [--clients 1000] [--rooms 100] [--rate 60] [--seconds 10]
[--loaders 2] [--rounds 3] [--transports websocket,socketio] [--server granian|uvicorn|both]
[--broker redis,nats] [--json PATH]``: the table has one group of rows per server, broker and
transport, each server's against its own baseline. Each of them is measured ``--rounds`` times;
the figures are the medians of the rounds. quality.md's P3: at least 0.8 × the baseline and at
least 100,000 frames/s on the better server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from chat_client import create_page, register
from chat_report import (
    Table,
    add_broker_option,
    add_server_option,
    base_parser,
    median,
    per_server,
)
from chat_stack import Process, Stack, stream_broker
from redis.asyncio import Redis
from ws_load import raise_open_files

BENCH = Path(__file__).resolve().parent
Send = Callable[[int, str, int], Awaitable[None]]
DELTA = "청첩장 문구를 정리하는 중이에요. "


async def rooms_and_tokens(base: str, rooms: int) -> list[tuple[str, str]]:
    """``rooms`` pages, ten per owner: (room, owner's token)."""
    limit = asyncio.Semaphore(16)  # a thousand requests at once only time out in the pool

    async def page(http: httpx.AsyncClient, token: str) -> str:
        async with limit:
            return await create_page(http, token)

    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        tokens = [await register(http, "p3") for _ in range(max(1, rooms // 10))]
        pages = await asyncio.gather(*(page(http, tokens[i % len(tokens)]) for i in range(rooms)))
    return [(f"page-{page}", tokens[i % len(tokens)]) for i, page in enumerate(pages)]


TRANSPORTS = ("websocket", "socketio")
SOCKETIO_URL = "/socket.io/?EIO=4&transport=websocket"


def add_transports_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--transports",
        type=lambda value: [t for t in value.split(",") if t],
        default=list(TRANSPORTS),
        help="the product's clients, comma-separated: websocket (/ws/chat), socketio",
    )


def product_specs(
    stack: Stack, api: int, pairs: list[tuple[str, str]], transport: str, loaders: int
) -> list[dict[str, Any]]:
    """``ws_load.py``'s specs for one socket per (room, owner's token) in ``pairs`` on API
    process ``api``, over ``transport``, shared among ``loaders`` processes."""
    specs = []
    for part in split(pairs, loaders):
        rooms, tokens = [room for room, _ in part], [token for _, token in part]
        if transport == "socketio":
            url = stack.api_url(api).replace("http://", "ws://", 1) + SOCKETIO_URL
            specs.append({"urls": [url] * len(part), "rooms": rooms, "tokens": tokens})
        else:
            urls = [f"{stack.ws_url(api)}?token={token}" for token in tokens]
            specs.append({"urls": urls, "rooms": rooms})
    return specs


class Loaders:
    """The client processes, each holding a share of the sockets."""

    def __init__(self, folder: Path, name: str, specs: list[dict[str, Any]]) -> None:
        self.processes: list[subprocess.Popen[str]] = []
        for index, spec in enumerate(specs):
            path = folder / f"{name}-{index}.json"
            path.write_text(json.dumps(spec))
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, str(BENCH / "ws_load.py"), str(path)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for process in self.processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise SystemExit(f"a {name} load process did not open its sockets")

    def tell(self, line: str) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write(line + "\n")
            process.stdin.flush()

    def answers(self) -> list[str]:
        lines = []
        for process in self.processes:
            assert process.stdout is not None
            lines.append(process.stdout.readline().strip())
        return lines

    def stop(self) -> None:
        self.tell("stop")
        for process in self.processes:
            process.wait(60)


def split(items: list[Any], parts: int) -> list[list[Any]]:
    return [items[i::parts] for i in range(parts)]


async def emit(rooms: list[str], rate: float, start: float, end: float, send: Any) -> int:
    """``rate`` events a second per room from ``start`` to ``end`` (wall clock), evenly spread."""
    sent = 0
    period = 1 / rate

    async def room_loop(index: int, room: str) -> None:
        nonlocal sent
        at = start - 0.5 + period * index / len(rooms)
        seq = 0
        while at < end:
            delay = at - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            seq += 1
            await send(index, room, seq)
            sent += 1
            at += period

    await asyncio.gather(*(room_loop(i, room) for i, room in enumerate(rooms)))
    return sent


@asynccontextmanager
async def product_emitter(stack: Stack, rooms: list[str]) -> AsyncIterator[Send]:
    from mocheong_core.chat.stream import EventDraft, EventKind, Fence

    async with stream_broker(stack.broker, stack.broker_url, stack.broker_prefix) as broker:
        messages = [f"p3-{uuid.uuid4().hex}" for _ in rooms]
        for message_id in messages:
            await broker.claim(message_id, 1, 600)

        async def send(index: int, room: str, seq: int) -> None:
            message_id = messages[index]
            data = {"message_id": message_id, "delta": DELTA}
            draft = EventDraft(EventKind.CHUNK, data, message_id)
            await broker.append(room, draft, Fence(message_id, 1))

        yield send


@asynccontextmanager
async def bare_emitter(redis_url: str) -> AsyncIterator[Send]:
    redis = Redis.from_url(redis_url)

    async def send(index: int, room: str, seq: int) -> None:
        frame = {"event": "message-chunk", "data": {"delta": DELTA, "seq": seq}}
        await redis.publish(f"bare:{room}", json.dumps(frame))

    try:
        yield send
    finally:
        await redis.aclose()


def measure(
    loaders: Loaders, rooms: list[str], args: Any, make_emitter: Any, server: Process
) -> dict[str, float]:
    start = time.time() + 1.5
    end = start + args.seconds
    loaders.tell(f"count {start} {end}")

    cpu_marks: list[float] = []  # the server's CPU seconds at the window's start and end

    async def drive() -> tuple[int, list[int]]:
        samples: list[int] = []

        async def sample() -> None:
            while time.time() < end + 1:
                samples.append(memory())
                if len(cpu_marks) < 2 and time.time() >= (start, end)[len(cpu_marks)]:
                    cpu_marks.append(server.cpu_seconds())
                await asyncio.sleep(max(0.01, min(0.5, _next_mark() - time.time())))

        def _next_mark() -> float:
            return (start, end, end + 1)[len(cpu_marks)]

        async with make_emitter() as send:
            sampler = asyncio.create_task(sample())
            try:
                sent = await emit(rooms, args.rate, start, end, send)
            finally:
                await sampler
        return sent, samples

    memory = server.rss_bytes
    before = memory()
    sent, samples = asyncio.run(drive())
    cpu = cpu_marks[1] - cpu_marks[0]
    counts = [json.loads(line) for line in loaders.answers()]
    frames = sum(count["frames"] for count in counts)
    return {
        "frames_per_s": frames / args.seconds,
        "frames_per_cpu_s": frames / cpu if cpu else 0.0,
        "cpu_share": cpu / args.seconds,
        "offered_per_s": len(rooms) * args.rate * (args.clients / len(rooms)),
        "sent_events": sent,
        "rss_before_mb": before / 2**20,
        "rss_peak_mb": max(samples, default=0) / 2**20,
        "rss_after_mb": memory() / 2**20,
        "min_per_client": min(count["min"] for count in counts),
        "client_cores": sum(count["cpu"] for count in counts) / args.seconds,
    }


def rounds_of(
    args: Any,
    stack: Stack,
    name: str,
    specs: list[dict[str, Any]],
    rooms: list[str],
    make_emitter: Any,
    process: Process,
) -> dict[str, Any]:
    """``args.rounds`` measures of one part; each figure the median of the rounds (the rounds'
    own figures under ``rounds``)."""
    each = []
    for _ in range(args.rounds):
        loaders = Loaders(stack.folder, name, specs)
        each.append(measure(loaders, rooms, args, make_emitter, process))
        loaders.stop()
    return {**{key: median([one[key] for one in each]) for key in each[0]}, "rounds": each}


def run_on(server: str, args: Any) -> dict[str, dict[str, Any]]:
    """On ``server``: the bare baseline once, then the product on each broker over each of
    ``args.transports``; keyed ``baseline`` and ``<broker> <transport>``."""
    per_room = args.clients // args.rooms
    env = {"MOCHEONG_LOG_LEVEL": "WARNING"}
    results: dict[str, dict[str, Any]] = {}
    for broker in args.broker:
        with Stack(apis=1, workers=0, env=env, server=server, broker=broker) as stack:
            pairs = asyncio.run(rooms_and_tokens(stack.api_url(0), args.rooms))
            rooms = [room for room, _ in pairs]
            if "baseline" not in results:
                bare = stack.add_bare_app()
                bare_ws = bare.replace("http://", "ws://") + "/bare/ws"
                bare_sockets = [f"{bare_ws}?room={room}" for room in rooms] * per_room
                specs = [{"urls": part} for part in split(bare_sockets, args.loaders)]
                assert stack.bare is not None
                results["baseline"] = rounds_of(
                    args,
                    stack,
                    "bare",
                    specs,
                    rooms,
                    lambda url=stack.redis_url: bare_emitter(url),
                    stack.bare,
                )
                stack.bare.stop()  # not sharing the cores with the product's runs
            for transport in args.transports:
                specs = product_specs(stack, 0, pairs * per_room, transport, args.loaders)
                results[f"{broker} {transport}"] = rounds_of(
                    args,
                    stack,
                    f"product-{transport}",
                    specs,
                    rooms,
                    lambda stack=stack, rooms=rooms: product_emitter(stack, rooms),
                    stack.apis[0],
                )
    return results


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=100)
    parser.add_argument("--rate", type=float, default=60.0, help="events per second per room")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--loaders", type=int, default=2, help="client processes")
    add_transports_option(parser)
    add_server_option(parser)
    add_broker_option(parser)
    parser.add_argument("--rounds", type=int, default=3, help="measures of each, medians kept")
    args = parser.parse_args()
    raise_open_files()

    offered = args.rooms * args.rate * (args.clients // args.rooms)
    table = Table(
        f"P3 WebSocket fan-out, one API process: {args.clients} clients in {args.rooms} rooms, "
        f"{args.rate:g} events/s per room offered ({offered:,.0f} frames/s), {args.seconds:g} s"
        f" per transport, medians of {args.rounds} rounds"
    )

    def rows(server: str, results: dict[str, dict[str, Any]]) -> None:
        baseline = results["baseline"]
        for broker in args.broker:
            for transport in args.transports:
                product = results[f"{broker} {transport}"]
                add_rows(table, f"{server}, {broker}, {transport}", product, baseline, broker)

    results = per_server(
        args, lambda server: (run_on(server, args),), lambda s, r: rows(s, *r), ("runs",)
    )
    table.print()
    table.save(args.json, results=results, args=vars(args))


def add_rows(
    table: Table,
    server: str,
    product: dict[str, float],
    baseline: dict[str, float],
    broker: str | None = None,
) -> None:
    rate = product["frames_per_s"]
    table.add(
        f"[{server}] delivered frames/s",
        rate,
        "frames/s",
        baseline=baseline["frames_per_s"],
        target="≥ 0.8 × baseline, ≥ 100,000",
        ok=rate >= 0.8 * baseline["frames_per_s"] and rate >= 100_000,
        broker=broker,
    )
    table.add(
        f"[{server}] frames per CPU-second of the server process",
        product["frames_per_cpu_s"],
        "frames",
        baseline=baseline["frames_per_cpu_s"],
        broker=broker,
    )
    table.add(
        f"[{server}] fewest frames one client got",
        product["min_per_client"],
        "frames",
        broker=broker,
    )
    growth = product["rss_peak_mb"] - product["rss_before_mb"]
    table.add(
        f"[{server}] API process memory growth while delivering (peak − before)",
        growth,
        "MB",
        baseline=baseline["rss_peak_mb"] - baseline["rss_before_mb"],
        target="bounded",
        broker=broker,
    )
    table.note(
        f"[{server}] API process RSS before {product['rss_before_mb']:.0f} MB, peak "
        f"{product['rss_peak_mb']:.0f} MB, after {product['rss_after_mb']:.0f} MB; bare app "
        f"{baseline['rss_before_mb']:.0f} → {baseline['rss_peak_mb']:.0f} MB"
    )
    table.note(
        f"[{server}] cores used in the window (2 on the machine, shared): API process "
        f"{product['cpu_share']:.2f}, its clients {product['client_cores']:.2f}; bare app "
        f"{baseline['cpu_share']:.2f}, its clients {baseline['client_cores']:.2f}"
    )


if __name__ == "__main__":
    main()
