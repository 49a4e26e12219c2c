"""The Dockerfile, read as a build would read it (no Docker daemon here to build it), and the
lock file it installs from.

The image itself is not built in the test run: what is checked is its structure — stages,
the locked install, the user it runs as, what it copies and that no secret is baked in.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
SECRET_WORDS = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|ACCESS_KEY|PRIVATE", re.IGNORECASE)


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(ROOT / "Dockerfile"))


def _stages(dockerfile: DockerfileParser) -> list[list[dict[str, str]]]:
    """The instructions of each stage, comments left out."""
    stages: list[list[dict[str, str]]] = []
    for instruction in dockerfile.structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages and instruction["instruction"] != "COMMENT":
            stages[-1].append(instruction)
    return stages


def _values(stage: list[dict[str, str]], name: str) -> list[str]:
    return [i["value"] for i in stage if i["instruction"] == name]


def test_the_build_installs_from_the_lock_with_a_cache_and_without_dev_tools(
    dockerfile: DockerfileParser,
) -> None:
    builder = _stages(dockerfile)[1]
    syncs = [run for run in _values(builder, "RUN") if "uv sync" in run]
    # uv's documented two steps: dependencies alone (a layer kept while only code changes),
    # then the project.
    assert len(syncs) == 2
    for sync in syncs:
        assert "--locked" in sync
        assert "--no-dev" in sync
        assert "--mount=type=cache,target=/root/.cache/uv" in sync
    assert "--no-install-project" in syncs[0]
    assert "--no-editable" in syncs[1]
    assert "--mount=type=bind,source=uv.lock" in syncs[0]


def test_the_final_stage_is_slim_holds_the_environment_alone_and_runs_as_a_user(
    dockerfile: DockerfileParser,
) -> None:
    stages = _stages(dockerfile)
    final = stages[-1]
    assert len(stages) >= 3  # uv, builder, runtime
    assert "slim" in _values(final, "FROM")[0]
    copies = _values(final, "COPY")
    assert copies == ["--from=builder --chown=root:root /app/.venv /app/.venv"]
    users = _values(final, "USER")
    assert users, "the final stage sets no USER: it would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "a numeric user lets Kubernetes' runAsNonRoot verify it"
    # The user is made in the image with that id.
    assert any(f"--uid {user}" in run for run in _values(final, "RUN"))


def test_one_image_serves_the_api_the_worker_and_the_cli(dockerfile: DockerfileParser) -> None:
    final = _stages(dockerfile)[-1]
    assert _values(final, "ENTRYPOINT") == ['["mocheong"]']
    assert _values(final, "CMD") == ['["serve"]']
    assert "/health" in _values(final, "HEALTHCHECK")[0]


def test_no_secret_is_baked_into_the_image(dockerfile: DockerfileParser) -> None:
    names = [
        name
        for stage in _stages(dockerfile)
        for kind in ("ENV", "ARG")
        for value in _values(stage, kind)
        for name in re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=", value)
    ]
    assert "MOCHEONG_ENV" in names  # the parse found the variables
    assert [name for name in names if SECRET_WORDS.search(name)] == []


def test_every_base_image_is_pinned(dockerfile: DockerfileParser) -> None:
    for image in dockerfile.parent_images:
        name, _, tag = image.rpartition(":")
        assert name, f"{image} has no tag"
        assert tag not in {"latest", ""}


def _ignored(patterns: list[str], path: str) -> bool:
    """Docker's rule: the last pattern that matches decides, ``!`` lets a path back in."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/"):
            ignored = not negated
    return ignored


def test_the_build_context_holds_what_the_build_copies_and_no_local_secrets(
    dockerfile: DockerfileParser,
) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = [
        source
        for stage in _stages(dockerfile)
        for value in _values(stage, "COPY")
        if "--from=" not in value
        for source in value.split()[:-1]
    ]
    assert copied == ["pyproject.toml", "uv.lock", "README.md", "src"]
    assert [source for source in copied if _ignored(patterns, source)] == []
    for local in (".env", "var/mocheong.db", "deploy/compose/secrets/jwt_secret", ".venv/bin"):
        assert _ignored(patterns, local), f"{local} would be sent to the build"


def test_the_lock_file_matches_pyproject() -> None:
    uv = shutil.which("uv")
    assert uv, "uv is not on PATH (the README's setup installs it)"
    # Offline: a lock in step with pyproject.toml is checked without the index.
    result = subprocess.run(
        [uv, "lock", "--check", "--offline"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"uv.lock is stale: run `uv lock`\n{result.stderr}"
