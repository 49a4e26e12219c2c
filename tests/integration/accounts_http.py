"""Helpers shared by the account and pipeline HTTP tests."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from dishka import AsyncContainer
from litestar.testing import AsyncTestClient

from mocheong_core.accounts.usecases import CreateAdmin

PASSWORD = "correct horse battery"
Client = AsyncTestClient[Any]


async def register(client: Client, email: str, name: str = "Minjun") -> dict[str, Any]:
    response = await client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def login(client: Client, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def admin_tokens(client: Client, email: str = "ops@example.com") -> dict[str, Any]:
    """An administrator made the way `mocheong create-admin` makes one, then logged in.

    The use case runs on the app's own event loop (the client's portal thread): the app's
    container guards its APP-scoped objects with asyncio locks bound to that loop, and a
    resolution from the test's loop while the app resolves the same object fails with "bound
    to a different event loop".
    """
    container: AsyncContainer = client.app.state.dishka_container

    async def create() -> None:
        async with container() as request:
            await (await request.get(CreateAdmin))(email, PASSWORD, "Ops")

    await anyio.to_thread.run_sync(client.blocking_portal.call, create)
    return await login(client, email)


def bearer(tokens: dict[str, Any] | str) -> dict[str, str]:
    token = tokens if isinstance(tokens, str) else tokens["access_token"]
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = dict(response.json())
    assert body["status"] == status
    assert body["code"] == code
    assert {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.text
    return body
