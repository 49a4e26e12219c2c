"""P1: the published page on the wedding day, warm cache, 64 connections.

Starts the product (``mocheong serve``: one worker, SQLite) with a published page,
and in the same run a bare Litestar app returning the same bytes on the same server and
settings (``public_page_bare.py``). ``wrk -t1 -c64`` then loads, in turn and for several
rounds, ``GET /i/{slug}``, ``GET /api/public/pages/{slug}`` and the bare handlers; the table
gives the medians over the rounds, the ratio to the bare handler (target >= 1.0) and p99
(target <= 10 ms), and checks a 304 on a matching ``If-None-Match``. The page is loaded twice:
as sent plain (no ``Accept-Encoding``) and as a browser gets it (``Accept-Encoding: gzip,
deflate, br``: the brotli bytes the cache made once), each against a bare handler returning
the same bytes.

``python bench/public_page_p1.py [--rounds 3] [--duration 10] [--server granian|uvicorn|both]
[--json PATH]`` (installs Debian's ``wrk`` with apt-get when it is missing); with ``both``
(the default) each server gets its own rows and baseline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
from chat_report import Table, add_server_option, base_parser, median, per_server
from chat_stack import CLI, Process, free_port

BENCH = Path(__file__).resolve().parent
SRC = BENCH.parent / "src"
PAGE: dict[str, Any] = {
    "couple": {
        "groom": {
            "name": "김민준",
            "title": "장남",
            "phone": "010-1234-5678",
            "father": {"name": "김철수", "phone": "010-2222-3333"},
            "mother": {"name": "박영희"},
        },
        "bride": {
            "name": "이서연",
            "title": "차녀",
            "phone": "010-9876-5432",
            "father": {"name": "이영호"},
            "mother": {"name": "최미경", "phone": "010-4444-5555"},
        },
    },
    "ceremony": {"starts_at": "2027-05-15T13:00:00+09:00", "time_zone": "Asia/Seoul"},
    "venue": {
        "name": "더채플앳청담",
        "hall": "3층 채플홀",
        "address": "서울 강남구 선릉로 757",
        "lat": 37.5233,
        "lng": 127.0406,
        "directions": {
            "subway": "7호선 청담역 13번 출구에서 도보 5분",
            "bus": "청담사거리 정류장 하차 (간선 301, 342, 472)",
            "car": "네비게이션에 '더채플앳청담'을 입력하세요",
            "parking": "건물 지하 주차장 2시간 무료",
        },
    },
    "greeting": "서로가 마주 보며 다진 약속을 이제 여러분 앞에서 맺으려 합니다.\n"
    "저희 두 사람의 새로운 시작을 함께 축복해 주시면 감사하겠습니다.",
    "gift_accounts": [
        {"relation": "groom", "bank": "국민은행", "holder": "김민준", "number": "123-45-6789"},
        {"relation": "groom_father", "bank": "우리은행", "holder": "김철수", "number": "1002-3"},
        {"relation": "bride", "bank": "신한은행", "holder": "이서연", "number": "110-222-33"},
    ],
    "rsvp": {"enabled": True, "ask_meal": True},
}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, check=False).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(install, check=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("wrk could not be installed")
    return found


# A hang guard: on a loaded shared machine the first start took over a minute.
def wait_until_up(url: str, process: Process, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not process.alive:
            sys.exit(f"{process.name} exited; see {process.log_path}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    sys.exit(f"{process.name} did not answer {url}; see {process.log_path}")


def publish_page(base: str) -> str:
    with httpx.Client(base_url=base, timeout=10) as client:
        user = client.post(
            "/api/auth/register",
            json={"email": "bench@example.com", "password": "bench password", "name": "B"},
        )
        user.raise_for_status()
        owner = {"Authorization": f"Bearer {user.json()['access_token']}"}
        page = client.post("/api/pages", json=PAGE, headers=owner)
        page.raise_for_status()
        client.post(f"/api/pages/{page.json()['id']}/publish", headers=owner).raise_for_status()
        return str(page.json()["slug"])


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


BROWSER_ACCEPT = "gzip, deflate, br"


def wrk(binary: str, url: str, duration: int, accept: str = "") -> dict[str, float]:
    """req/s and the 99th percentile latency (ms) of one ``wrk -t1 -c64`` run."""
    asked = ["-H", f"Accept-Encoding: {accept}"] if accept else []
    out = subprocess.run(
        [binary, "-t1", "-c64", f"-d{duration}s", "--latency", *asked, url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if rate is None or p99 is None:
        sys.exit(f"could not read wrk's output:\n{out}")
    if errors:
        sys.exit(f"{url} answered {errors.group(1)} errors under load:\n{out}")
    return {"rps": float(rate.group(1)), "p99": float(p99.group(1)) * UNITS[p99.group(2)]}


def as_sent(url: str, accept: str) -> tuple[bytes, str]:
    """The body as the server sends it for ``accept`` (not decoded) and its coding."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": accept})  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310 (the local server)
        return response.read(), response.headers.get("Content-Encoding", "")


def not_modified(url: str) -> tuple[bool, str]:
    first = httpx.get(url)
    tag = first.headers.get("etag", "")
    again = httpx.get(url, headers={"If-None-Match": tag})
    return again.status_code == 304 and again.content == b"", tag


Runs = dict[str, list[dict[str, float]]]


def run_on(server: str, args: Any, binary: str) -> tuple[Runs, dict[str, Any]]:
    """The product and the bare app, both on ``server``, loaded in turn for ``args.rounds``
    rounds: the wrk runs of each target, and the 304 checks and sizes."""
    folder = Path(tempfile.mkdtemp(prefix="mocheong-p1-"))
    app_port, bare_port = free_port(), free_port()
    app_base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), str(BENCH)]),
        "MOCHEONG_DATA_DIR": str(folder / "data"),
        "MOCHEONG_LOG_LEVEL": "WARNING",
        "MOCHEONG_PUBLIC_BASE_URL": app_base,
        "MOCHEONG_REDIS_URL": "",
        "MOCHEONG_DATABASE_URL": "",
        "MOCHEONG_SERVER": server,
    }
    app = Process("app", [*CLI, "serve", "--port", str(app_port), "--workers", "1"], env, folder)
    processes = [app]
    try:
        app.start()
        wait_until_up(f"{app_base}/health", app)
        slug = publish_page(app_base)
        html_url, json_url = f"{app_base}/i/{slug}", f"{app_base}/api/public/pages/{slug}"
        (folder / "page.html").write_bytes(httpx.get(html_url).content)
        (folder / "page.json").write_bytes(httpx.get(json_url).content)
        coded, coding = as_sent(html_url, BROWSER_ACCEPT)
        if coding != "br":
            sys.exit(f"{html_url} answered {BROWSER_ACCEPT!r} with {coding or 'no coding'}")
        (folder / "page.html.br").write_bytes(coded)

        bare_args = [
            str(bare_port),
            str(folder / "page.html"),
            str(folder / "page.json"),
            str(folder / "page.html.br"),
        ]
        bare = Process(
            "bare", [sys.executable, str(BENCH / "public_page_bare.py"), *bare_args], env, folder
        )
        processes.append(bare)
        bare.start()
        wait_until_up(f"{bare_base}/bare.html", bare)
        assert httpx.get(f"{bare_base}/bare.html").content == httpx.get(html_url).content
        assert as_sent(f"{bare_base}/bare.html.br", BROWSER_ACCEPT) == (coded, "br")

        targets = {
            "page": (html_url, ""),
            "bare page": (f"{bare_base}/bare.html", ""),
            "page br": (html_url, BROWSER_ACCEPT),
            "bare page br": (f"{bare_base}/bare.html.br", BROWSER_ACCEPT),
            "json": (json_url, ""),
            "bare json": (f"{bare_base}/bare.json", ""),
        }
        for url, accept in targets.values():  # warm both servers (and the page cache)
            wrk(binary, url, 1, accept)
        runs: Runs = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (url, accept) in targets.items():
                runs[name].append(wrk(binary, url, args.duration, accept))
        html_304, html_tag = not_modified(html_url)
        json_304, json_tag = not_modified(json_url)
        checks = {
            "html_304": html_304,
            "json_304": json_304,
            "html_tag": html_tag,
            "json_tag": json_tag,
            "html_bytes": len((folder / "page.html").read_bytes()),
            "html_br_bytes": len(coded),
            "json_bytes": len((folder / "page.json").read_bytes()),
        }
    finally:
        for process in reversed(processes):
            process.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return runs, checks


def main() -> None:
    parser = base_parser(__doc__ or "")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    add_server_option(parser)
    args = parser.parse_args()
    binary = ensure_wrk()

    table = Table(
        f"P1 public page, warm cache, wrk -t1 -c64 -d{args.duration}s, "
        f"median of {args.rounds} rounds (1 worker, SQLite)"
    )
    results = per_server(
        args,
        lambda server: run_on(server, args, binary),
        lambda server, result: add_rows(table, server, *result),
        ("runs", "checks"),
    )
    table.note(
        "each round runs page, bare page, json, bare json in turn; "
        "app and wrk share the machine's cores"
    )
    table.print()
    table.save(args.json, results=results)


def add_rows(table: Table, server: str, runs: Runs, checks: dict[str, Any]) -> None:
    def rps(name: str) -> float:
        return median([run["rps"] for run in runs[name]])

    def p99(name: str) -> float:
        return median([run["p99"] for run in runs[name]])

    for name, path in (
        ("page", "/i/{slug}"),
        ("page br", "/i/{slug} (br)"),
        ("json", "/api/public/pages/{slug}"),
    ):
        ratio = rps(name) / rps(f"bare {name}")
        table.add(
            f"[{server}] GET {path} req/s",
            rps(name),
            "req/s",
            baseline=rps(f"bare {name}"),
            target=">= 1.0 x bare",
            ok=ratio >= 1.0,
        )
        table.add(
            f"[{server}] GET {path} p99",
            p99(name),
            "ms",
            baseline=p99(f"bare {name}"),
            target="<= 10 ms",
            ok=p99(name) <= 10,
        )
    for kind in ("html", "json"):
        ok = bool(checks[f"{kind}_304"])
        table.add(f"[{server}] 304 on If-None-Match, {kind}", float(ok), "", target="304", ok=ok)
    table.note(
        f"[{server}] page {checks['html_bytes']:,} bytes, {checks['html_br_bytes']:,} as brotli "
        f"(ETag {checks['html_tag']}), "
        f"json {checks['json_bytes']:,} bytes (ETag {checks['json_tag']})"
    )


if __name__ == "__main__":
    main()
