"""Developer sessions: `nox -s tests` (the whole suite), `lint`, `bench`, `chaos`, `fuzz`, `serve`."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint"]

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite (unit and integration, SQLite and the machine's Postgres + Redis),
    then the architecture contract."""
    session.install("-e", ".[dev]")
    session.run("lint-imports")
    session.run("pytest", "-n", "2", "--dist", "loadgroup", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, mypy and the import-linter layer contract."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "src", "tests", "bench", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "bench", "noxfile.py")
    session.run("mypy")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Start the product on its embedded defaults (SQLite, in-process broker, local disk)."""
    session.install("-e", ".")
    session.run("mocheong", "serve", *session.posargs)
