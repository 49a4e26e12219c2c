"""P7: a full turn with the offline model, from the client's submit to the first chunk of the
reply at the client.

The product: an API process (``mocheong serve``) and a worker (``mocheong worker``) on a fresh
PostgreSQL database and a private Redis, with the offline model. A client joined to its room
over ``/ws/chat`` sends ``chat-message`` and times the reply's first ``message-chunk``; turns
follow one another (one at a time, as a person types), spread over a few rooms. The baseline
is the same socket's ``ping`` → ``pong`` round trip, the floor of any answer over it.

``python bench/chat_first_chunk_p7.py [--turns 60] [--rooms 3] [--json PATH]``
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import websockets
from chat_client import create_page, register
from chat_report import Table, base_parser, percentile
from chat_stack import Stack


async def turns(stack: Stack, args: Any) -> tuple[list[float], list[float]]:
    async with httpx.AsyncClient(base_url=stack.api_url(0), timeout=30) as http:
        token = await register(http, "p7")
        pages = [await create_page(http, token) for _ in range(args.rooms)]
    sockets = []
    for page in pages:
        ws = await websockets.connect(f"{stack.ws_url(0)}?token={token}", compression=None)
        await ws.send(json.dumps({"event": "joinRoom", "data": {"room": f"page-{page}"}}))
        await _until(ws, "session-info")
        sockets.append(ws)
    # A joined socket starts live from where the hub places it, a moment after session-info:
    # wait that moment out, so the first turn's events are not before it.
    await asyncio.sleep(1)
    first_chunk: list[float] = []
    ping: list[float] = []
    for turn in range(args.turns + args.warmup):
        ws = sockets[turn % len(sockets)]
        started = time.perf_counter()
        await ws.send(json.dumps({"event": "ping", "data": {}}))
        await _until(ws, "pong")
        pinged = time.perf_counter() - started
        started = time.perf_counter()
        text = "김민준 이서연 2027년 5월 15일 오후 1시 결혼해요"
        await ws.send(json.dumps({"event": "chat-message", "data": {"text": text}}))
        accepted = await _until(ws, "message-accepted")
        await _until(ws, "message-chunk", accepted["message_id"])
        took = time.perf_counter() - started
        await _until(ws, "newMessage", accepted["message_id"])  # the turn ends before the next
        if turn >= args.warmup:
            first_chunk.append(took * 1000)
            ping.append(pinged * 1000)
    for ws in sockets:
        await ws.close()
    return first_chunk, ping


async def _until(ws: Any, event: str, message_id: str | None = None) -> dict[str, Any]:
    async with asyncio.timeout(30):
        while True:
            frame = json.loads(await ws.recv())
            data = frame.get("data") or {}
            if frame["event"] == "error":
                raise SystemExit(f"the server refused a frame: {data}")
            if frame["event"] == event and message_id in (None, data.get("message_id")):
                return dict(data)


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--turns", type=int, default=60)
    parser.add_argument("--rooms", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    env = {"MOCHEONG_RATE_CHAT_PER_USER": "100000", "MOCHEONG_LOG_LEVEL": "WARNING"}
    with Stack(apis=1, workers=1, env=env) as stack:
        first_chunk, ping = asyncio.run(turns(stack, args))

    table = Table(
        f"P7 full turn with the offline model, submit → first chunk at the client "
        f"({args.turns} turns, one at a time, 1 API process, 1 worker)"
    )
    p50 = percentile(first_chunk, 50)
    table.add(
        "submit → first chunk p50",
        p50,
        "ms",
        baseline=percentile(ping, 50),
        target="≤ 10 ms",
        ok=p50 <= 10,
    )
    table.add(
        "submit → first chunk p99",
        percentile(first_chunk, 99),
        "ms",
        baseline=percentile(ping, 99),
    )
    table.note("baseline: ping → pong on the same socket")
    table.print()
    table.save(args.json, first_chunk_ms=first_chunk, ping_ms=ping, args=vars(args))


if __name__ == "__main__":
    main()
