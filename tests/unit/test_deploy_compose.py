"""compose.yaml, parsed (no Docker daemon here to run it): its services, their order,
healthchecks and secrets, and the script that makes the secret files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy_support import misnamed_settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("api", "worker", "migrate")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def _conditions(service: dict[str, Any]) -> dict[str, str]:
    return {name: dep["condition"] for name, dep in service.get("depends_on", {}).items()}


def test_the_product_runs_as_two_apis_a_worker_and_its_stores(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"api", "worker", "migrate", "postgres", "redis", "minio", "proxy"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    assert services["api"]["command"] == ["serve"]
    assert services["worker"]["command"] == ["worker"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    # One image for all three, built from the Dockerfile.
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(images) == 1
    assert all(services[name]["build"] == "." for name in APP_SERVICES)
    # The app talks to the compose stores, not to its embedded defaults.
    environment = services["api"]["environment"]
    assert environment["MOCHEONG_ENV"] == "production"
    assert environment["MOCHEONG_REDIS_URL"].startswith("redis://redis:")
    assert environment["MOCHEONG_STORAGE"] == "s3"
    assert environment["MOCHEONG_S3_ENDPOINT_URL"].startswith("http://minio:")


def test_the_api_starts_after_the_migration_and_healthy_stores(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert _conditions(services["api"]) == {
        "migrate": "service_completed_successfully",
        "postgres": "service_healthy",
        "redis": "service_healthy",
        "minio-bucket": "service_completed_successfully",
    }
    assert _conditions(services["worker"])["migrate"] == "service_completed_successfully"
    assert _conditions(services["migrate"]) == {"postgres": "service_healthy"}
    assert _conditions(services["proxy"]) == {"api": "service_healthy"}
    # Every service waited on as healthy has a healthcheck of its own.
    for name, service in services.items():
        for dependency, condition in _conditions(service).items():
            assert dependency in services, f"{name} waits for a missing {dependency}"
            if condition == "service_healthy":
                check = services[dependency].get("healthcheck", {})
                assert check.get("test"), dependency
                assert not check.get("disable"), dependency


def test_the_api_healthcheck_asks_for_readiness(compose: dict[str, Any]) -> None:
    check = compose["services"]["api"]["healthcheck"]
    assert "/ready" in " ".join(check["test"])
    # The one-shot migration has nothing to probe: it turns the image's /health check off.
    assert compose["services"]["migrate"]["healthcheck"] == {"disable": True}


def test_the_worker_healthcheck_reads_its_health_beat(compose: dict[str, Any]) -> None:
    check = compose["services"]["worker"]["healthcheck"]
    assert check["test"] == ["CMD", "mocheong", "worker", "check"]
    assert not check.get("disable")


def test_the_order_has_no_cycle(compose: dict[str, Any]) -> None:
    services = compose["services"]
    started: set[str] = set()
    while len(started) < len(services):
        ready = {
            name
            for name, service in services.items()
            if name not in started and set(_conditions(service)) <= started
        }
        assert ready, f"a dependency cycle among {set(services) - started}"
        started |= ready


def test_secrets_come_from_files_and_only_as_files(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        assert misnamed_settings(environment) == [], name
        mounted = set(service.get("secrets", []))
        assert mounted <= set(declared), name
        for variable, value in environment.items():
            if variable.endswith("_FILE"):
                path = Path(value)
                assert path.parent == Path("/run/secrets"), variable
                assert path.name in mounted, f"{name}: {variable} names an unmounted secret"
    app = compose["services"]["api"]["environment"]
    assert app["MOCHEONG_JWT_SECRET_FILE"] == "/run/secrets/jwt_secret"
    assert app["MOCHEONG_DATABASE_URL_FILE"] == "/run/secrets/database_url"
    for secret in declared.values():
        assert secret["file"].startswith("./deploy/compose/secrets/")
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/compose/secrets/jwt_secret"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0, "the compose secret files would be committed"


def test_make_secrets_writes_every_declared_file_once(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    script = tmp_path / "make-secrets.sh"
    shutil.copy(ROOT / "deploy" / "compose" / "make-secrets.sh", script)
    subprocess.run(["sh", str(script)], check=True, capture_output=True)
    folder = tmp_path / "secrets"
    files = {path.name: path.read_text() for path in folder.iterdir()}
    assert set(files) == {Path(s["file"]).name for s in compose["secrets"].values()}
    assert all(files.values())
    assert files["jwt_secret"] != files["postgres_password"]
    # The app's database URL carries the password PostgreSQL is started with.
    assert f":{files['postgres_password']}@postgres:5432/" in files["database_url"]
    assert (folder.stat().st_mode & 0o077) == 0
    # A second run keeps what exists (restarting compose must not change the passwords).
    subprocess.run(["sh", str(script)], check=True, capture_output=True)
    assert {path.name: path.read_text() for path in folder.iterdir()} == files


def test_the_balancer_reaches_the_api_port(compose: dict[str, Any]) -> None:
    caddyfile = (ROOT / "deploy" / "compose" / "Caddyfile").read_text()
    assert "dynamic a api 8000" in caddyfile
    assert "lb_policy cookie" in caddyfile
    assert compose["services"]["proxy"]["ports"] == ["${MOCHEONG_PORT:-8000}:8000"]
