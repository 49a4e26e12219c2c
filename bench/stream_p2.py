"""P2: what a chunk's trip from the worker's emit to the client adds, against bare hops.

Streams × rate chunks per second are emitted from this process the way a worker does
(``StreamBroker.append`` with a fence, timestamped just before the call, on uvloop as
``mocheong worker`` runs) into a private broker: Redis, or a private ``nats-server -js`` with
``--broker nats`` (``--broker redis,nats``, the default, gives both brokers' rows in one run,
against the same baselines). A receiver in another process timestamps each on arrival; the
latency is the difference (same machine, same wall clock). Receivers:

- ``ws``: an API process (``mocheong serve``) and WebSocket clients, one per stream, joined
  to the stream's room: the full path of quality.md's P2. Its baseline (``bare-ws``) is
  ``chat_bare_app.py`` on the same server and settings, fed by plain ``PUBLISH`` at the same
  rate and forwarding each message unchanged to the same number of WebSocket clients;
- ``dispatcher``: the API process's broker side alone (``StreamBroker.listen`` on every room:
  one ``RedisRoomDispatcher``, or one ``NatsRoomDispatcher``'s consumer), to show where the
  time goes;
- ``bare`` (the floor): a redis-py subscriber to one channel per stream, fed by plain
  ``PUBLISH`` at the same rate.

``python bench/stream_p2.py [--streams 200] [--rate 20] [--seconds 10] [--path ws|dispatcher|both]
[--server granian|uvicorn|both] [--broker redis,nats] [--json PATH]``: with ``--server both``
(the default) the WebSocket rows come once per server and broker, each server's against its
own bare app (measured once, the same for both brokers).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from chat_report import (
    Table,
    add_broker_option,
    add_server_option,
    base_parser,
    median,
    percentile,
    servers_of,
)
from chat_stack import Stack, stream_broker
from redis.asyncio import Redis

HERE = Path(__file__).resolve()


# -- emitters (this process) -----------------------------------------------------------------


async def emit(
    rooms: list[str], rate: float, seconds: float, send: Any, warmup: float = 1.0
) -> int:
    """Calls ``send(index, room, seq, t_ns)`` for every stream on a fixed schedule (no drift),
    spread evenly so the streams do not all fire at once."""
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    period = 1 / rate
    total = int((seconds + warmup) * rate)
    sent = 0

    async def stream(index: int, room: str) -> None:
        nonlocal sent
        offset = period * index / len(rooms)
        for seq in range(1, total + 1):
            delay = start + offset + (seq - 1) * period - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await send(index, room, seq, time.time_ns())
            sent += 1

    await asyncio.gather(*(stream(i, room) for i, room in enumerate(rooms)))
    return sent


async def emit_broker(kind: str, url: str, prefix: str, rooms: list[str], args: Any) -> int:
    from mocheong_core.chat.stream import EventDraft, EventKind, Fence

    async with stream_broker(kind, url, prefix) as broker:
        message_ids = [f"bench-{uuid.uuid4().hex}" for _ in rooms]
        for message_id in message_ids:
            await broker.claim(message_id, 1, 600)

        async def send(index: int, room: str, seq: int, t_ns: int) -> None:
            message_id = message_ids[index]
            draft = EventDraft(EventKind.CHUNK, {"delta": "가나다라", "t": t_ns}, message_id)
            await broker.append(room, draft, Fence(message_id, 1))

        return await emit(rooms, args.rate, args.seconds, send)


async def emit_bare(redis_url: str, channels: list[str], args: Any) -> int:
    redis = Redis.from_url(redis_url)

    async def send(index: int, channel: str, seq: int, t_ns: int) -> None:
        payload = json.dumps({"delta": "가나다라", "seq": seq, "t": t_ns})
        await redis.publish(channel, payload)

    try:
        return await emit(channels, args.rate, args.seconds, send)
    finally:
        await redis.aclose()


async def emit_bare_ws(redis_url: str, rooms: list[str], args: Any) -> int:
    """The bare app's rooms (channel ``bare:<room>``), fed the frame a client would get."""
    redis = Redis.from_url(redis_url)

    async def send(index: int, room: str, seq: int, t_ns: int) -> None:
        frame = {"event": "message-chunk", "data": {"delta": "가나다라", "seq": seq, "t": t_ns}}
        await redis.publish(f"bare:{room}", json.dumps(frame))

    try:
        return await emit(rooms, args.rate, args.seconds, send)
    finally:
        await redis.aclose()


# -- receivers (another process) -------------------------------------------------------------


async def receive_bare(redis_url: str, channels: list[str], expected: int) -> list[int]:
    redis = Redis.from_url(redis_url)
    pubsub = redis.pubsub()
    await pubsub.subscribe(*channels)
    ready()
    latencies: list[int] = []
    async for message in pubsub.listen():
        if message["type"] != "message":
            continue
        latencies.append(time.time_ns() - json.loads(message["data"])["t"])
        if len(latencies) >= expected:
            break
    await pubsub.aclose()
    await redis.aclose()
    return latencies


async def receive_dispatcher(
    kind: str, url: str, prefix: str, rooms: list[str], expected: int
) -> list[int]:
    from contextlib import AsyncExitStack

    latencies: list[int] = []
    done = asyncio.Event()
    async with AsyncExitStack() as stack:
        broker = await stack.enter_async_context(stream_broker(kind, url, prefix))
        streams = [await stack.enter_async_context(broker.listen(room)) for room in rooms]

        async def drain(events: Any) -> None:
            async for event in events:
                latencies.append(time.time_ns() - event.data["t"])
                if len(latencies) >= expected:
                    done.set()

        tasks = [asyncio.create_task(drain(events)) for events in streams]
        ready()
        await done.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # before the broker closes
    return latencies


async def receive_ws(clients: list[dict[str, str]], expected: int) -> list[int]:
    """One socket per client (``url``; ``room`` to join, when given): the time each chunk
    carrying ``t`` took."""
    from ws_load import connect, join

    latencies: list[int] = []
    done = asyncio.Event()

    def on_message(payload: bytes) -> None:
        now = time.time_ns()
        frame = json.loads(payload)
        if frame["event"] == "message-chunk" and "t" in frame["data"]:
            latencies.append(now - frame["data"]["t"])
            if len(latencies) >= expected:
                done.set()

    sockets = []
    for client in clients:
        socket = await connect(client["url"])
        if client.get("room"):
            await join(socket, client["room"])
        socket.on_message = on_message
        sockets.append(socket)
    ready()
    await done.wait()
    for socket in sockets:
        await socket.close()
    return latencies


def run_loop(coro: Any) -> Any:
    """Emitters and receivers run on uvloop when it is installed, like the worker and the
    servers they stand for: on asyncio's own loop the emitter needs twice the CPU per append,
    and with the machine's two cores shared by four processes its own queue (up to 50 ms
    behind, for hundreds of milliseconds) became most of the measured tail."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def ready() -> None:
    print("ready", flush=True)


def receiver_main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    kind, expected = spec["kind"], spec["expected"]
    if kind == "bare":
        coro = receive_bare(spec["redis"], spec["rooms"], expected)
    elif kind.startswith("dispatcher"):
        coro = receive_dispatcher(
            spec["broker"], spec["url"], spec["prefix"], spec["rooms"], expected
        )
    else:
        coro = receive_ws(spec["clients"], expected)
    latencies = run_loop(coro)
    Path(spec["out"]).write_text(json.dumps({"latencies": latencies, "cpu": time.process_time()}))


# -- orchestration ---------------------------------------------------------------------------


def run_pair(
    kind: str, spec: dict[str, Any], emitter: Any, folder: Path, args: Any, server: Any = None
) -> tuple[list[float], dict[str, float]]:
    """Starts the receiver, emits; returns the latencies (ms) after the warm-up second and the
    cores each side used while emitting (the machine has two)."""
    total = int((args.seconds + 1) * args.rate) * args.streams
    spec = {**spec, "kind": kind, "expected": total, "out": str(folder / f"{kind}.json")}
    spec_path = folder / f"{kind}-spec.json"
    spec_path.write_text(json.dumps(spec))
    receiver = subprocess.Popen(
        [sys.executable, str(HERE), "--receiver", str(spec_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert receiver.stdout is not None
    if receiver.stdout.readline().strip() != "ready":
        raise SystemExit(f"the {kind} receiver did not start")
    started, cpu, server_cpu = time.monotonic(), time.process_time(), _cpu(server)
    sent = run_loop(emitter())
    wall = time.monotonic() - started
    cores = {"emitter": (time.process_time() - cpu) / wall}
    if server is not None:
        cores["API process"] = (_cpu(server) - server_cpu) / wall
    try:
        receiver.wait(timeout=60)
    except subprocess.TimeoutExpired:
        receiver.kill()
        raise SystemExit(f"the {kind} receiver got fewer than {total} of {sent} events") from None
    result = json.loads(Path(spec["out"]).read_text())
    cores["receiver"] = result["cpu"] / wall  # it idles before and after: an upper bound
    skip = args.streams * int(args.rate)  # the first second warms connections and caches
    return [ns / 1e6 for ns in result["latencies"][skip:]], cores


def _cpu(process: Any) -> float:
    return float(process.cpu_seconds()) if process is not None else 0.0


def register_rooms(stack: Stack, count: int) -> list[dict[str, str]]:
    """One user and ``count`` pages: the rooms the WebSocket clients join."""
    base = stack.api_url(0)
    with httpx.Client(base_url=base, timeout=30) as http:
        response = http.post(
            "/api/auth/register",
            json={
                "email": f"p2-{uuid.uuid4().hex[:8]}@example.com",
                "password": "p2-bench-pass-1",
                "name": "P2",
            },
        )
        response.raise_for_status()
        token = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        clients = []
        for _ in range(count):
            page = http.post("/api/pages", json={}, headers=headers)
            page.raise_for_status()
            clients.append({"token": token, "room": f"page-{page.json()['id']}"})
    return clients


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--streams", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="chunks per second per stream")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--path", choices=["ws", "dispatcher", "both"], default="both")
    add_server_option(parser)
    add_broker_option(parser)
    parser.add_argument("--receiver", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        receiver_main(args.receiver)
        return

    table = Table(
        f"P2 chunk latency, emit → receipt: {args.streams} streams × {args.rate:g} chunks/s, "
        f"{args.seconds:g} s (ms)"
    )
    results: dict[str, list[float]] = {}
    with Stack(apis=0, workers=0) as stack:
        floor = floor_rows(stack, args, table, results)
    if args.path != "ws":
        for broker in args.broker:
            with Stack(apis=0, workers=0, broker=broker) as stack:
                listener_rows(stack, args, table, results, floor)
    if args.path != "dispatcher":
        for server in servers_of(args):
            baseline: list[float] = []
            for broker in args.broker:
                with Stack(apis=1, workers=0, server=server, broker=broker) as stack:
                    if not baseline:
                        baseline = bare_ws_run(stack, server, args, table, results)
                    ws_rows(stack, server, args, table, results, baseline)
            table.note(
                f"[{server}] the baseline is PUBLISH → bare app → WebSocket client (one run, "
                f"the same for every broker); the Redis floor is {floor[0]:.3f} ms p50, "
                f"{floor[1]:.3f} ms p99"
            )
    table.note(
        "samples: "
        + ", ".join(f"{name} {len(values)}" for name, values in results.items())
        + f"; medians {', '.join(f'{n} {median(v):.3f}' for n, v in results.items())}"
    )
    table.print()
    table.save(
        args.json,
        streams=args.streams,
        rate=args.rate,
        seconds=args.seconds,
        brokers=args.broker,
    )


def cores_note(table: Table, name: str, cores: dict[str, float]) -> None:
    table.note(
        f"{name} run, cores used: "
        + ", ".join(f"{part} {value:.2f}" for part, value in cores.items())
    )


def floor_rows(
    stack: Stack, args: Any, table: Table, results: dict[str, list[float]]
) -> tuple[float, float]:
    """The bare Redis hop (the floor); returns its (p50, p99)."""
    channels = [f"p2bare:{i}" for i in range(args.streams)]
    bare, cores = run_pair(
        "bare",
        {"redis": stack.redis_url, "rooms": channels},
        lambda: emit_bare(stack.redis_url, channels, args),
        stack.folder,
        args,
    )
    floor = percentile(bare, 50), percentile(bare, 99)
    table.add("bare PUBLISH → subscriber p50", floor[0], "ms")
    table.add("bare PUBLISH → subscriber p99", floor[1], "ms")
    results["bare"] = bare
    cores_note(table, "bare", cores)
    return floor


def listener_rows(
    stack: Stack,
    args: Any,
    table: Table,
    results: dict[str, list[float]],
    floor: tuple[float, float],
) -> None:
    """The broker's append and listener alone, without an API process."""
    broker = stack.broker
    prefix = "p2" if broker == "nats" else "p2:"
    rooms = [f"p2-{i}" for i in range(args.streams)]
    spec = {"broker": broker, "url": stack.broker_url, "prefix": prefix, "rooms": rooms}
    latencies, cores = run_pair(
        f"dispatcher-{broker}",
        spec,
        lambda: emit_broker(broker, stack.broker_url, prefix, rooms, args),
        stack.folder,
        args,
    )
    results[f"listener {broker}"] = latencies
    cores_note(table, f"{broker} listener", cores)
    for q in (50, 99):
        table.add(
            f"[{broker}] append → broker listener p{q}",
            percentile(latencies, q),
            "ms",
            baseline=floor[0 if q == 50 else 1],
            broker=broker,
        )


def bare_ws_run(
    stack: Stack, server: str, args: Any, table: Table, results: dict[str, list[float]]
) -> list[float]:
    """The baseline on ``server``: PUBLISH → bare app → WebSocket clients."""
    bare_url = stack.add_bare_app().replace("http://", "ws://") + "/bare/ws"
    assert stack.bare is not None
    rooms = [f"p2-{i}" for i in range(args.streams)]
    bare, bare_cores = run_pair(
        f"bare-ws-{server}",
        {"clients": [{"url": f"{bare_url}?room={room}"} for room in rooms]},
        lambda: emit_bare_ws(stack.redis_url, rooms, args),
        stack.folder,
        args,
        stack.bare,
    )
    results[f"bare-ws {server}"] = bare
    cores_note(table, f"[{server}] bare app", bare_cores)
    return bare


def ws_rows(
    stack: Stack,
    server: str,
    args: Any,
    table: Table,
    results: dict[str, list[float]],
    bare: list[float],
) -> None:
    """The product's WebSocket path on ``server`` and the stack's broker, against the bare
    app on the same server."""
    broker = stack.broker
    clients = register_rooms(stack, args.streams)
    rooms = [client["room"] for client in clients]
    url = stack.ws_url(0)
    specs = [{"url": f"{url}?token={c['token']}", "room": c["room"]} for c in clients]
    latencies, cores = run_pair(
        f"ws-{server}-{broker}",
        {"clients": specs},
        lambda: emit_broker(broker, stack.broker_url, stack.broker_prefix, rooms, args),
        stack.folder,
        args,
        stack.apis[0],
    )
    results[f"ws {server} {broker}"] = latencies
    cores_note(table, f"[{server}, {broker}] ws", cores)
    for q, limit in ((50, 2.0), (99, 10.0)):
        value = percentile(latencies, q)
        table.add(
            f"[{server}, {broker}] append → API process → WebSocket client p{q}",
            value,
            "ms",
            baseline=percentile(bare, q),
            target=f"≤ {limit:g} ms",
            ok=value <= limit,
            broker=broker,
        )


if __name__ == "__main__":
    main()
