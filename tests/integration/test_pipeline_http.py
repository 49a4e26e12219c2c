"""The request pipeline on SQLite and Postgres: problems, headers, CORS, probes, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import sqlalchemy.exc as sa_exc
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient
from litestar.types import Receive, Send
from litestar.types import Scope as AsgiScope

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.http.middleware import PipelineMiddleware
from mocheong_core.accounts.usecases import Authenticate
from tests import services
from tests.integration.accounts_http import (
    PASSWORD,
    Client,
    admin_tokens,
    assert_problem,
    bearer,
    register,
)

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


@asynccontextmanager
async def app_client(
    settings: Settings, *overrides: Provider, **changes: Any
) -> AsyncIterator[Client]:
    app = create_app(evolve(settings, **changes), *overrides)
    async with AsyncTestClient(app) as client:
        yield client


def assert_pipeline_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"]


async def test_malformed_json_is_a_400_problem(client: Client) -> None:
    response = await client.post(
        "/api/auth/register", content=b'{"email": ', headers={"content-type": "application/json"}
    )

    assert_problem(response, 400, "malformed_json")
    assert_pipeline_headers(response)


async def test_json_nested_too_deeply_is_a_400_problem(client: Client) -> None:
    body = b'{"email": ' + b"[" * 20_000 + b"]" * 20_000 + b"}"
    response = await client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )

    assert_problem(response, 400, "malformed_json")


async def test_type_errors_name_every_bad_field(client: Client) -> None:
    response = await client.post("/api/auth/register", json={"email": 1, "password": ["x"]})

    body = assert_problem(response, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"email", "password", "name"}
    assert all(e["message"] for e in body["errors"])


async def test_a_body_that_is_not_an_object_is_a_422(client: Client) -> None:
    response = await client.post("/api/auth/login", json=["a", "b"])

    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["body"]


async def test_a_free_form_body_of_the_wrong_shape_is_named_body(client: Client) -> None:
    tokens = await register(client, "minjun@example.com")

    # POST /api/pages takes any part of the page document: a plain JSON object.
    response = await client.post("/api/pages", json=[1, 2], headers=bearer(tokens))

    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["body"]


async def test_domain_checks_name_every_bad_field(client: Client) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "nobody", "password": "short", "name": " "}
    )

    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["email", "password", "name"]


async def test_bad_query_parameters_are_named(client: Client) -> None:
    response = await client.get("/api/admin/users", params={"limit": "many"})

    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["limit"]


async def test_text_the_database_cannot_store_is_refused_not_a_500(client: Client) -> None:
    register_nul = await client.post(
        "/api/auth/register",
        json={"email": "nul\u0000@example.com", "password": PASSWORD, "name": "N\u0000"},
    )
    login_nul = await client.post(
        "/api/auth/login", json={"email": "nul\u0000@example.com", "password": PASSWORD}
    )
    refresh_nul = await client.post("/api/auth/refresh", json={"refresh_token": "a\u0000b"})

    body = assert_problem(register_nul, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"email", "name"}
    assert_problem(login_nul, 401, "invalid_credentials")
    assert_problem(refresh_nul, 401, "invalid_token")


async def test_unknown_route_is_a_404_problem(client: Client) -> None:
    response = await client.get("/api/nothing-here", headers={"X-Request-ID": "trace-404"})

    assert_problem(response, 404, "not_found")
    assert_pipeline_headers(response)
    assert response.headers["x-request-id"] == "trace-404"


async def test_wrong_method_is_a_405_problem(client: Client) -> None:
    response = await client.delete("/api/auth/me")

    assert_problem(response, 405, "method_not_allowed")
    assert_pipeline_headers(response)


async def post_in_chunks(app: Any, path: str, chunks: list[bytes]) -> tuple[int, int]:
    """Sends a body without Content-Length, chunk by chunk, straight through ASGI; returns the
    status and how many chunks the app never read."""
    pending: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks
    ] + [{"type": "http.request", "body": b"", "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    return statuses[0], len(pending)


async def test_a_body_over_the_limit_is_a_413_problem(settings: Settings) -> None:
    async with app_client(settings, max_body_bytes=200) as client:
        declared = await client.post(
            "/api/auth/login", json={"email": "a@example.com", "password": "x" * 300}
        )
        small = await client.post(
            "/api/auth/login", json={"email": "a@example.com", "password": "x" * 10}
        )
        # No Content-Length: the limit must hold while the body streams in.
        status, unread = await post_in_chunks(
            client.app,
            "/api/auth/login",
            [b'{"email": "a@example.com", "password": "', *[b"x" * 50] * 20, b'"}'],
        )

    assert_problem(declared, 413, "payload_too_large")
    assert_pipeline_headers(declared)
    assert_problem(small, 401, "invalid_credentials")
    assert status == 413
    assert unread > 10


async def test_a_safe_request_id_is_echoed_and_an_unsafe_one_replaced(client: Client) -> None:
    echoed = await client.get("/health", headers={"X-Request-ID": "abc-123.DEF:4_5"})
    unsafe = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    too_long = await client.get("/health", headers={"X-Request-ID": "a" * 200})
    missing = await client.get("/health")

    assert echoed.headers["x-request-id"] == "abc-123.DEF:4_5"
    for response in (unsafe, too_long, missing):
        replaced = response.headers["x-request-id"]
        assert replaced not in {"bad id\twith spaces", "a" * 200}
        assert len(replaced) == 36
    assert_pipeline_headers(missing)


async def test_cors_preflight_for_a_configured_origin(settings: Settings) -> None:
    origin = "https://app.mocheong.example"
    async with app_client(settings, cors_origins=(origin,)) as client:
        allowed = await client.options(
            "/api/auth/login",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, authorization",
            },
        )
        refused = await client.options(
            "/api/auth/login",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        simple = await client.get("/health", headers={"Origin": origin})

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == origin
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert_pipeline_headers(allowed)
    assert_problem(refused, 400, "cors_refused")
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == origin
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_health_and_ready(client: Client) -> None:
    health = await client.get("/health")
    ready = await client.get("/ready")

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert "database" in ready.json()["checks"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_ready_names_an_unreachable_database(settings: Settings) -> None:
    services.require_redis()
    async with app_client(
        settings,
        database_url="postgresql+psycopg://postgres@127.0.0.1:1/closed",
        redis_url=services.REDIS_URL,
        redis_prefix=services.unique_redis_prefix(),
    ) as client:
        ready = await client.get("/ready")
        login = await client.post(
            "/api/auth/login", json={"email": "a@example.com", "password": PASSWORD}
        )

    body = assert_problem(ready, 503, "not_ready")
    assert body["failing"] == ["database"]
    assert "database" in body["detail"]
    problem = assert_problem(login, 503, "service_unavailable")
    assert "psycopg" not in login.text
    assert "127.0.0.1" not in problem["detail"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_ready_names_an_unreachable_redis(settings: Settings) -> None:
    async with app_client(settings, redis_url="redis://127.0.0.1:1/0") as client:
        ready = await client.get("/ready")

    body = assert_problem(ready, 503, "not_ready")
    assert body["failing"] == ["redis"]


async def test_metrics_are_prometheus_text(client: Client) -> None:
    await client.get("/health")
    await client.get("/api/nothing-here")

    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert response.headers["content-type"].count("charset") == 1
    assert "# TYPE mocheong_http_requests_total counter" in response.text
    assert 'route="/health"' in response.text
    # Unknown paths share one label, so scanning random URLs cannot blow up the series count.
    assert 'route="unmatched"' in response.text
    assert "/api/nothing-here" not in response.text


class BrokenAuthenticate(Provider):
    @provide(scope=Scope.REQUEST, override=True)
    def authenticate(self) -> Authenticate:
        raise RuntimeError("secret-internal-detail at /srv/app.py line 42")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_an_unexpected_error_is_a_500_problem_without_internals(settings: Settings) -> None:
    async with app_client(settings, BrokenAuthenticate()) as client:
        response = await client.get(
            "/api/auth/me", headers={**bearer("x"), "X-Request-ID": "trace-500"}
        )

    assert_problem(response, 500, "internal_error")
    assert "secret-internal-detail" not in response.text
    assert "RuntimeError" not in response.text
    assert response.headers["x-request-id"] == "trace-500"
    assert_pipeline_headers(response)


async def test_an_error_escaping_every_handler_still_becomes_a_problem() -> None:
    async def crashing_app(scope: AsgiScope, receive: Receive, send: Send) -> None:
        raise RuntimeError("secret-internal-detail")

    transport = httpx.ASGITransport(app=PipelineMiddleware(crashing_app))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/anything")

    assert_problem(response, 500, "internal_error")
    assert "secret-internal-detail" not in response.text
    assert_pipeline_headers(response)


async def test_a_lost_database_escaping_every_handler_is_a_503_with_retry_after() -> None:
    async def app_losing_its_database(scope: AsgiScope, receive: Receive, send: Send) -> None:
        raise sa_exc.OperationalError("COMMIT", {}, ConnectionError("server closed"))

    transport = httpx.ASGITransport(app=PipelineMiddleware(app_losing_its_database))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/anything")

    assert_problem(response, 503, "service_unavailable")
    assert response.headers["retry-after"] == "5"
    assert_pipeline_headers(response)


async def test_the_openapi_document_describes_problems(client: Client) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    operation = response.json()["paths"]["/api/auth/register"]["post"]
    assert set(operation["responses"]) >= {"201", "400", "422", "default"}
    assert "application/problem+json" in operation["responses"]["422"]["content"]
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


async def test_a_nul_character_in_a_path_is_refused_not_a_500(client: Client, backend: str) -> None:
    admin = await admin_tokens(client)

    response = await client.patch(
        "/api/admin/users/a%00b", json={"disabled": True}, headers=bearer(admin)
    )

    # SQLite stores NUL, so the id is simply unknown; Postgres text cannot hold it at all.
    if backend == "sqlite":
        assert_problem(response, 404, "not_found")
    else:
        assert_problem(response, 400, "invalid_value")
