"""A lost database or Redis answers every route, hot paths included, with a 503 problem that
carries ``Retry-After``, never a 500.

The loss is a URL on a closed port (the shared servers are never stopped): every connection
attempt fails as it does once a running server is gone and the pool's connections are dead.
The caller's token is valid while no process has its user cached, as after the
authentication cache expired during an outage.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from adapters.security.jwt_tokens import JwtAccessTokens
from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.accounts.model import Role
from mocheong_core.accounts.usecases import CreateAdmin
from mocheong_core.kernel.ids import new_id
from tests import services

CLOSED_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/closed"
CLOSED_REDIS = "redis://127.0.0.1:1/0"
BODIES: dict[str, Any] = {
    "/api/chat": {"message": "안녕하세요", "client_message_id": "c-1"},
}


def operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Every documented (method, path), with its path parameters filled in."""
    found = []
    for path, item in schema["paths"].items():
        concrete = "/".join(new_id() if part.startswith("{") else part for part in path.split("/"))
        found += [(method.upper(), concrete) for method in item if method != "parameters"]
    return found


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("lost_one", ["database", "redis"])
async def test_a_lost_dependency_is_a_503_with_retry_after_on_every_route(
    settings: Settings, lost_one: str
) -> None:
    services.require_redis()
    lost = evolve(
        settings,
        database_url=CLOSED_DATABASE if lost_one == "database" else "",
        redis_url=CLOSED_REDIS if lost_one == "redis" else services.REDIS_URL,
        redis_prefix=services.unique_redis_prefix(),
    )
    app = create_app(lost)
    answers: dict[tuple[str, str], tuple[int, str | None]] = {}
    async with AsyncTestClient(app) as client:
        user_id = new_id()
        if lost_one == "redis":  # a real administrator, made without Redis's rate limits
            async with client.app.state.dishka_container() as request:
                create = await request.get(CreateAdmin)
                user_id = (await create("ops@example.com", "correct horse battery", "Ops")).id
        token = JwtAccessTokens(lost.auth.jwt_secret, lost.auth.access_token_ttl).issue(
            user_id, Role.ADMIN, datetime.now(UTC), new_id()
        )
        headers = {"Authorization": f"Bearer {token}"}
        for method, path in operations(app.openapi_schema.to_schema()):
            if method in {"GET", "HEAD", "DELETE"}:
                response = await client.request(method, path, headers=headers)
            else:
                response = await client.request(
                    method, path, headers=headers, json=BODIES.get(path, {})
                )
            answers[method, path] = response.status_code, response.headers.get("retry-after")

    assert answers["POST", "/api/chat"] == (503, "5")
    assert not [op for op, (status, _) in answers.items() if status >= 500 and status != 503]
    assert not [op for op, (status, after) in answers.items() if status == 503 and not after]
