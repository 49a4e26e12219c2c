"""The README's newcomer facts stay true: the Python version the sessions use, the `mocheong`
commands and settings it names, and how to leave the browser tests out."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from entrypoints.bootstrap.settings import VARIABLES
from entrypoints.cli import build_parser

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()


def test_the_python_version_is_the_one_the_sessions_use() -> None:
    nox_python = re.search(r'^PYTHON = "([\d.]+)"', (ROOT / "noxfile.py").read_text(), re.M)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert nox_python is not None
    assert f"Python {nox_python[1]}" in README
    assert declared == f">={nox_python[1]}"


def test_the_commands_and_settings_it_names_exist() -> None:
    parser = build_parser()
    commands = re.findall(r"\.nox/serve/bin/mocheong ([a-z-]+)", README)
    assert "create-admin" in commands
    for command in commands:
        parser.parse_args([command, "--email", "a@b.c"] if command == "create-admin" else [command])
    for named in set(re.findall(r"MOCHEONG_[A-Z0-9_]+", README)) - {"MOCHEONG_ADMIN_PASSWORD"}:
        # A setting, or the file form every setting has (``<VAR>_FILE``).
        assert named.removesuffix("_FILE") in VARIABLES, named
    assert "MOCHEONG_CORS_ORIGINS" in README


def test_leaving_the_browser_tests_out_skips_the_chromium_install() -> None:
    assert 'nox -s tests -- -m "not browser"' in README
    assert '"not browser" not in' in (ROOT / "noxfile.py").read_text()
