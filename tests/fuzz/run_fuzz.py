"""Fuzz every operation of the OpenAPI document with schemathesis (what `nox -s fuzz` runs).

    python tests/fuzz/run_fuzz.py [--max-examples N] [--seed S] [--postgres]
                                  [-- extra schemathesis options]

It starts `mocheong serve` on a fresh SQLite folder (or, with `--postgres`, a fresh database
on the machine's PostgreSQL, where text with NUL characters and the like first bite) and a
free port, creates an administrator
(so the admin routes are fuzzed past their role check too), logs in, seeds a few users, pages,
guests and guestbook entries whose ids the fuzzer then uses for most path parameters, and runs
`schemathesis run` against the served `/schema/openapi.json` with that bearer token on every
request. The
checks: no 5xx (`not_a_server_error`) and every documented response, problem bodies
included, matches its schema (`response_schema_conformance`). The exit status is
schemathesis's: 0 when nothing failed. Reports go to `--report-dir`.

It lives outside the default test run (its name does not start with ``test_``) because a full
run takes minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests import services  # noqa: E402
from tests.live_server import live_server  # noqa: E402

from adapters.sqla.migrate import upgrade  # noqa: E402
from entrypoints.bootstrap.admin import create_admin  # noqa: E402
from entrypoints.bootstrap.settings import Settings, evolve  # noqa: E402

ADMIN_EMAIL = "fuzz-admin@example.com"
ADMIN_PASSWORD = "fuzz-admin-password"
# Limits far above what a fuzz run sends, so they do not hide the routes behind 429s, and an
# access token that outlives the run.
SERVER_ENV = {
    "MOCHEONG_ACCESS_TOKEN_TTL": "86400",
    "MOCHEONG_RATE_LOGIN_PER_IP": "1000000",
    "MOCHEONG_RATE_LOGIN_PER_ACCOUNT": "1000000",
    "MOCHEONG_RATE_REGISTER_PER_IP": "1000000",
    "MOCHEONG_LOG_LEVEL": "WARNING",
    "MOCHEONG_JWT_SECRET": services.TEST_JWT_SECRET,
}


PUBLISHABLE = {
    "couple": {"groom": {"name": "김민준"}, "bride": {"name": "이서연"}},
    "ceremony": {"starts_at": "2030-05-15T13:00:00+09:00", "time_zone": "Asia/Seoul"},
    "venue": {"name": "더채플앳청담", "address": "서울 강남구 선릉로 757"},
}


def seed(http: httpx.Client) -> dict[str, list[str]]:
    """Real records for the path parameters, so the fuzzer gets past the 404s: users, pages
    (half of them published), guests and guestbook entries. Best effort: a route that refuses
    its seed just leaves its dictionary shorter."""
    found: dict[str, list[str]] = {"user_id": [], "page_id": [], "slug": [], "guest_id": []}
    found["entry_id"] = []
    for n in range(4):
        response = http.post(
            "/api/auth/register",
            json={"email": f"fuzz-user{n}@example.com", "password": ADMIN_PASSWORD, "name": "U"},
        )
        if response.status_code == 201:
            found["user_id"].append(response.json()["user"]["id"])
    for n in range(8):
        page = http.post("/api/pages", json=PUBLISHABLE if n % 2 else {})
        if page.status_code != 201:
            continue
        page_id, slug = page.json()["id"], page.json()["slug"]
        found["page_id"].append(page_id)
        if n % 2 and http.post(f"/api/pages/{page_id}/publish").status_code == 200:
            found["slug"].append(slug)
            entry = http.post(
                f"/api/public/pages/{slug}/guestbook",
                json={"name": "하객", "message": "축하해요", "password": "1234"},
            )
            if entry.status_code == 201:
                found["entry_id"].append(entry.json()["id"])
        guest = http.post(f"/api/pages/{page_id}/guests", json={"name": "하객", "side": "groom"})
        if guest.status_code == 201:
            found["guest_id"].append(guest.json()["id"])
    return found


STREAMING = r"/stream$"
"""Routes that answer with a live stream: the fuzzer would wait for a body that never ends."""
STREAM_READ = 2.0
"""Seconds a stream is read for, by ``check_streams``, before it is let go."""


def check_streams(http: httpx.Client, found: dict[str, list[str]]) -> list[str]:
    """The streaming routes the fuzzer leaves out, read for a bounded time each: a real
    session, an unknown one and malformed ids. Returns what went wrong."""
    sessions = []
    for page_id in found["page_id"][:1]:
        accepted = http.post("/api/chat", json={"page_id": page_id, "message": "안녕하세요"})
        if accepted.status_code == 202:
            sessions.append(accepted.json()["session_id"])
    sessions += [str(uuid.uuid4()), "not-a-session", "%00", "x" * 5000]
    problems = []
    for session_id in sessions:
        path = f"/api/chat/sessions/{session_id}/stream"
        status, kind = _read_briefly(http, path)
        print(f"stream {path[:60]}: {status} {kind}")
        if status >= 500 or (status == 200 and not kind.startswith("text/event-stream")):
            problems.append(f"{path[:60]} answered {status} {kind}")
    return problems


def _read_briefly(http: httpx.Client, path: str) -> tuple[int, str]:
    deadline = time.monotonic() + STREAM_READ
    timeout = httpx.Timeout(10, read=STREAM_READ)
    with http.stream("GET", path, timeout=timeout) as response:
        try:
            for _ in response.iter_raw():
                if time.monotonic() > deadline:
                    break
        except httpx.ReadTimeout:
            pass  # a live stream with nothing to say yet: it stays open, as it should
        return response.status_code, response.headers.get("content-type", "")


def write_config(path: Path, found: dict[str, list[str]]) -> None:
    # Real ids most of the time, generated ones the rest, so both paths are exercised.
    lines = ["[parameters]"]
    lines += [
        f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}'
        for name, values in found.items()
        if values
    ]
    for name, values in found.items():
        if values:
            lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    path.write_text("\n".join(lines) + "\n")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=30, help="cases per operation")
    parser.add_argument("--seed", type=int, help="schemathesis seed, to replay a run")
    parser.add_argument("--report-dir", type=Path, default=Path("var/fuzz"))
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="serve from a fresh database on the machine's PostgreSQL instead of SQLite",
    )
    parser.add_argument("extra", nargs="*", help="further `schemathesis run` options (after --)")
    return parser.parse_args(argv)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """The database URL to serve from: empty (SQLite in the data folder) or a fresh Postgres
    database, migrated here because only the embedded SQLite mode migrates at start."""
    if not args.postgres:
        yield ""
        return
    name, url = services.create_database()
    try:
        upgrade(url)
        yield url
    finally:
        services.drop_database(name)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="mocheong-fuzz-") as folder, database(args) as url:
        data_dir = Path(folder)
        settings = evolve(
            Settings(),
            env="test",
            data_dir=data_dir,
            database_url=url,
            jwt_secret=services.TEST_JWT_SECRET,
        )
        asyncio.run(create_admin(settings, ADMIN_EMAIL, ADMIN_PASSWORD, "Fuzz"))
        server_log = data_dir / "server.log"
        server_env = {**SERVER_ENV, "MOCHEONG_DATABASE_URL": url}
        with live_server(data_dir, server_log, server_env) as base_url:
            login = httpx.post(
                f"{base_url}/api/auth/login",
                json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            )
            login.raise_for_status()
            token = login.json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base_url, headers=auth, timeout=30) as http:
                found = seed(http)
                print("Seeded:", ", ".join(f"{len(v)} {k}" for k, v in found.items()))
                stream_problems = check_streams(http, found)
            config = data_dir / "schemathesis.toml"
            write_config(config, found)
            command = [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(config),
                "run",
                f"{base_url}/schema/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "not_a_server_error,response_schema_conformance",
                "--max-examples",
                str(args.max_examples),
                # One worker: with several threads CPython 3.11's `ast.parse` (which hypothesis
                # uses to describe filters) can fail with "AST constructor recursion depth".
                "--workers",
                "1",
                # A live stream never ends: those routes are read by ``check_streams``.
                "--exclude-path-regex",
                STREAMING,
                "--request-timeout",
                "30",
                "--report",
                "junit",
                "--report-dir",
                str(args.report_dir),
                *(["--seed", str(args.seed)] if args.seed is not None else []),
                *args.extra,
            ]
            status = subprocess.run(command, check=False).returncode
        for problem in stream_problems:
            print(f"Streaming route: {problem}")
        status = status or int(bool(stream_problems))
        if status:
            errors = [line for line in server_log.read_text().splitlines() if "error" in line]
            print("\n".join(["Server errors logged during the run:", *errors[-50:]]))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
