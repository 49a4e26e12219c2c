"""The attacks issue 18 found, run against `mocheong serve` on its embedded defaults, on each
ASGI server: a table of attack → expected → observed, exit 1 on any miss.

- silent socket / half a request / idle keep-alive: closed by the header deadline or the
  keep-alive timeout (the run sets them to 2 s so it is short);
- a body dripped slower than its deadline (slowloris on bodies): answered 408, then closed;
- oversized first frames: 20 unauthenticated sockets each send a 15 MB ``auth`` frame, and a
  5 MB ``ping``: closed with 1009, the server's memory (its processes' RSS) about flat;
- logout then use, a reused refresh token: the access token of that sign-in refused at once.

``python bench/attack.py [--servers uvicorn,granian] [--deadline 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import live_server  # noqa: E402

PASSWORD = "correct horse battery"
BIG_FRAMES = 20
BIG_FRAME_BYTES = 15_000_000
RSS_GROWTH_LIMIT_MB = 50.0
KNOWN = {
    ("granian", "silent socket"): "granian (2.8.9, the newest here, has no other option) starts "
    "its header deadline at the first byte: a socket that sends nothing is held until the "
    "client leaves (bounded by MOCHEONG_SERVER_MAX_CONNECTIONS); see docs/configuration.md",
}


def rss_mb(port: int) -> float:
    """The resident memory of the processes listening on ``port`` and their children."""
    pids = _listening_pids(port)
    pids |= {child for pid in pids for child in _children(pid)}
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = {int(k) for k in (task / "children").read_text().split()}
        except OSError:
            continue
        for kid in kids:
            found |= {kid, *_children(kid)}
    return found


def _listening_pids(port: int) -> set[int]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    pids = set()
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            pids.add(int(fd.parent.parent.name))
    return pids


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``sock``; None if it was still open after ``seconds``."""
    started = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - started < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - started
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - started
    return None


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port))


def silent(port: int, wait: float) -> str:
    with connect(port) as sock:
        return _closed(closed_within(sock, wait))


def half_request(port: int, wait: float) -> str:
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        sock.settimeout(0.5)
        while time.monotonic() - started < wait:
            try:
                sock.sendall(b"X")  # one more byte of a header that never ends
                if sock.recv(65536) == b"":
                    return _closed(time.monotonic() - started)
            except TimeoutError:
                continue
            except OSError:
                return _closed(time.monotonic() - started)
        return _closed(None)


def idle_keep_alive(port: int, wait: float) -> str:
    with connect(port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        answer = sock.recv(65536)
        if not answer.startswith(b"HTTP/1.1 200"):
            return f"no answer ({answer[:20]!r})"
        return _closed(closed_within(sock, wait))


def slow_body(port: int, wait: float) -> str:
    """A login whose body comes a byte at a time, slower than its deadline."""
    with connect(port) as sock:
        sock.sendall(
            b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        started = time.monotonic()
        sock.settimeout(0.5)
        answer, closed = b"", None
        while closed is None and time.monotonic() - started < wait:
            try:
                sock.sendall(b" ")
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                closed = time.monotonic() - started
            answer += chunk
        status = answer[9:12].decode() if answer.startswith(b"HTTP/1.1 ") else "no answer"
        return f"{status}, {_closed(closed)}"


def _closed(after: float | None) -> str:
    return "held" if after is None else f"closed after {after:.1f} s"


async def big_frames(base: str, port: int) -> tuple[str, str]:
    url = base.replace("http", "ws") + "/ws/chat"
    before = rss_mb(port)
    frame = '{"event":"auth","data":{"token":"' + "x" * BIG_FRAME_BYTES + '"}}'

    async def one() -> str:
        try:
            async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
                await ws.send(frame)
                await asyncio.wait_for(ws.recv(), timeout=30)
        except websockets.ConnectionClosed as closed:
            return str(closed.rcvd.code if closed.rcvd else "none")
        except (OSError, TimeoutError) as exc:
            return type(exc).__name__
        return "answered"

    codes = await asyncio.gather(*(one() for _ in range(BIG_FRAMES)))
    growth = rss_mb(port) - before
    ping = '{"event":"ping","data":{"pad":"' + "x" * 5_000_000 + '"}}'
    try:
        async with websockets.connect(url, max_size=None) as ws:
            await ws.send(ping)
            await asyncio.wait_for(ws.recv(), timeout=30)
            ping_result = "answered"
    except websockets.ConnectionClosed as closed:
        ping_result = f"closed {closed.rcvd.code if closed.rcvd else 'none'}"
    summary = ",".join(sorted(set(codes)))
    return f"closed {summary}; RSS {growth:+.0f} MB", ping_result


def sign_in_attacks(base: str) -> tuple[str, str]:
    with httpx.Client(base_url=base, timeout=30) as http:
        email = f"attack-{time.monotonic_ns()}@example.com"
        tokens = http.post(
            "/api/auth/register", json={"email": email, "password": PASSWORD, "name": "A"}
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        http.post("/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=auth)
        after_logout = http.get("/api/auth/me", headers=auth).status_code
        session = http.post("/api/auth/login", json={"email": email, "password": PASSWORD}).json()
        http.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
        http.post("/api/auth/refresh", json={"refresh_token": session["refresh_token"]})
        reused = http.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {session['access_token']}"}
        ).status_code
    return str(after_logout), str(reused)


def attack(server: str, deadline: float) -> list[tuple[str, str, str, bool]]:
    env = {
        "MOCHEONG_SERVER": server,
        "MOCHEONG_SERVER_HEADER_TIMEOUT": str(deadline),
        "MOCHEONG_SERVER_KEEP_ALIVE_TIMEOUT": str(deadline),
        "MOCHEONG_SERVER_BODY_TIMEOUT": str(deadline),
        "MOCHEONG_LOG_LEVEL": "ERROR",
    }
    wait = deadline * 3 + 2
    rows: list[tuple[str, str, str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="mocheong-attack-") as folder:
        data_dir = Path(folder)
        with live_server(data_dir, data_dir / "server.log", env) as base:
            port = int(base.rsplit(":", 1)[1])
            expected_close = f"closed within {wait:.0f} s"
            for name, run in (
                ("silent socket", silent),
                ("half a request, dripped", half_request),
                ("idle keep-alive", idle_keep_alive),
            ):
                observed = run(port, wait)
                rows.append((name, expected_close, observed, observed.startswith("closed")))
            body = slow_body(port, wait)
            rows.append(
                (
                    "body dripped past its deadline",
                    "408, then closed",
                    body,
                    body.startswith("408, closed"),
                )
            )
            frames, ping = asyncio.run(big_frames(base, port))
            flat = "1009" in frames and "answered" not in frames
            growth = float(frames.rsplit("RSS ", 1)[1].split()[0])
            rows.append(
                (
                    f"{BIG_FRAMES} × 15 MB auth frames",
                    f"1009, RSS < +{RSS_GROWTH_LIMIT_MB:.0f} MB",
                    frames,
                    flat and growth < RSS_GROWTH_LIMIT_MB,
                )
            )
            rows.append(("5 MB ping frame", "closed 1009", ping, ping == "closed 1009"))
            after_logout, reused = sign_in_attacks(base)
            rows.append(
                ("logout, then the access token", "401", after_logout, after_logout == "401")
            )
            rows.append(
                ("reused refresh token, then its access token", "401", reused, reused == "401")
            )
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="uvicorn,granian")
    parser.add_argument("--deadline", type=float, default=2.0)
    args = parser.parse_args(argv)
    failed = 0
    table: list[Any] = []
    notes = []
    for server in args.servers.split(","):
        for name, expected, observed, ok in attack(server, args.deadline):
            known = KNOWN.get((server, name))
            verdict = "ok" if ok else "known" if known else "MISS"
            if known and not ok:
                notes.append(f"known: {server}, {name}: {known}")
            table.append((server, name, expected, observed, verdict))
            failed += verdict == "MISS"
    widths = [max(len(str(row[i])) for row in table) for i in range(5)]
    header = ("server", "attack", "expected", "observed", "")
    for row in [header, *table]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    for note in notes:
        print(note)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
