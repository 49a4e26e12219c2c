"""Developer sessions: tests (the whole suite), lint, bench, chaos, fuzz, serve and image."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint"]

PYTHON = "3.11"
CHROMIUM = "/usr/bin/chromium"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite (unit and integration, SQLite and the machine's Postgres + Redis),
    then the architecture contract."""
    session.install("-e", ".[dev]")
    if "not browser" not in " ".join(session.posargs):  # `-- -m "not browser"` needs none
        _install_chromium(session)
    session.run("lint-imports")
    session.run("pytest", "-n", "2", "--dist", "loadgroup", *session.posargs)


def _install_chromium(session: nox.Session) -> None:
    """The browser test drives Debian's Chromium; install it where it is missing and we may."""
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True)
    else:
        session.warn(f"{CHROMIUM} is missing: install Debian's chromium for the browser test")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, mypy and the import-linter layer contract."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "src", "tests", "bench", "tools", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "tools", "noxfile.py")
    session.run("mypy")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Start the product on its embedded defaults (SQLite, in-process broker, local disk)."""
    session.install("-e", ".")
    session.run("mocheong", "serve", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Every benchmark of quality.md (`bench/*_p<N>.py`); each prints its table and writes
    JSON under bench/results/. Name some to run only those: `nox -s bench -- jobs_p5`."""
    session.install("-e", ".[dev]")
    scripts = sorted(Path("bench").glob("*_p[0-9]*.py"))
    wanted = set(session.posargs)
    Path("bench/results").mkdir(parents=True, exist_ok=True)
    for script in scripts:
        if wanted and script.stem not in wanted:
            continue
        session.run("python", str(script), "--json", f"bench/results/{script.stem}.json")


@nox.session(python=PYTHON)
def chaos(session: nox.Session) -> None:
    """The reliability runs R1–R6, R8 and R9 of quality.md against real Redis (or NATS with
    `-- --broker nats`, both with `--broker redis,nats`) and PostgreSQL (the outages of R5 and
    R6 on servers of the run's own)."""
    session.install("-e", ".[dev]")
    session.run("python", "bench/chaos.py", *session.posargs)


@nox.session(python=PYTHON)
def attack(session: nox.Session) -> None:
    """Slow and silent sockets, oversized first frames, tokens used after a sign-out, on each
    ASGI server: a table of attack, expected and observed (exit 1 on a miss)."""
    session.install("-e", ".[dev]")
    session.run("python", "bench/attack.py", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """schemathesis over the served OpenAPI document: no 5xx, every response as documented."""
    session.install("-e", ".[dev,fuzz]")
    session.run("python", "tests/fuzz/run_fuzz.py", *session.posargs)


@nox.session(python=False)
def image(session: nox.Session) -> None:
    """Build the Dockerfile with podman (local stand-ins for its base images, no registry) and
    run the image: CLI, embedded defaults, migration job, API and worker on a private
    PostgreSQL and Redis with one chat turn, SIGTERM exits (deploy/podman-smoke.sh)."""
    session.run("bash", "deploy/podman-smoke.sh", *session.posargs, external=True)
