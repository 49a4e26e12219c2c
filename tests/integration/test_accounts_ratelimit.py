"""Login and registration limits over HTTP, with the in-memory limiter and with Redis.

The app's clock is frozen, so every attempt of a test falls in the same fixed window and the
counts and the Retry-After values are exact whatever the moment the test runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs
import httpx
import pytest
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from mocheong_core.kernel.clock import Clock
from tests import services
from tests.integration.accounts_http import PASSWORD, assert_problem, register

LIMIT = 3
# 15 s into a minute and into an hour: a login window has 45 s left, a registration one 3585 s.
FROZEN = datetime(2027, 5, 15, 4, 0, 15, tzinfo=UTC)
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@attrs.frozen
class FrozenClock:
    at: datetime

    def now(self) -> datetime:
        return self.at


class FrozenClockProvider(Provider):
    @provide(scope=Scope.APP, override=True)
    def clock(self) -> Clock:
        return FrozenClock(FROZEN)


@pytest.fixture(params=["memory", "redis"])
def limited(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "memory":
        return settings
    services.require_redis()
    return evolve(
        settings, redis_url=services.REDIS_URL, redis_prefix=services.unique_redis_prefix()
    )


@pytest.fixture
def client_with(limited: Settings) -> Callable[..., AsyncTestClient[Any]]:
    def make(**limits: int) -> AsyncTestClient[Any]:
        return AsyncTestClient(create_app(evolve(limited, **limits), FrozenClockProvider()))

    return make


def assert_limited(response: httpx.Response, retry_after: int) -> None:
    assert_problem(response, 429, "rate_limited")
    assert response.headers["retry-after"] == str(retry_after)


async def test_logins_per_account_are_limited(
    client_with: Callable[..., AsyncTestClient[Any]],
) -> None:
    async with client_with(rate_login_per_account=LIMIT) as client:
        await register(client, "minjun@example.com")
        wrong = [
            await client.post(
                "/api/auth/login", json={"email": email, "password": "wrong password"}
            )
            for email in ("minjun@example.com", "MinJun@Example.com", " minjun@example.com")
        ]
        refused = await client.post(
            "/api/auth/login", json={"email": "minjun@example.com", "password": "wrong password"}
        )
        # The right password does not get around the limit; another account is not affected.
        right = await client.post(
            "/api/auth/login", json={"email": "minjun@example.com", "password": PASSWORD}
        )
        other = await client.post(
            "/api/auth/login", json={"email": "seoyeon@example.com", "password": "wrong password"}
        )

    assert [r.status_code for r in wrong] == [401] * LIMIT
    assert_limited(refused, 45)
    assert_limited(right, 45)
    assert_problem(other, 401, "invalid_credentials")


async def test_logins_per_ip_are_limited(client_with: Callable[..., AsyncTestClient[Any]]) -> None:
    async with client_with(rate_login_per_ip=LIMIT) as client:
        answers = [
            await client.post(
                "/api/auth/login",
                json={"email": f"user{n}@example.com", "password": "wrong password"},
            )
            for n in range(LIMIT + 1)
        ]

    assert [r.status_code for r in answers[:LIMIT]] == [401] * LIMIT
    assert_limited(answers[LIMIT], 45)


async def test_registrations_per_ip_are_limited(
    client_with: Callable[..., AsyncTestClient[Any]],
) -> None:
    async with client_with(rate_register_per_ip=LIMIT) as client:
        answers = [
            await client.post(
                "/api/auth/register",
                json={"email": f"user{n}@example.com", "password": PASSWORD, "name": "User"},
            )
            for n in range(LIMIT + 1)
        ]

    assert [r.status_code for r in answers[:LIMIT]] == [201] * LIMIT
    assert_limited(answers[LIMIT], 3585)


async def test_behind_trusted_proxies_the_forwarded_address_is_limited(
    client_with: Callable[..., AsyncTestClient[Any]],
) -> None:
    async with client_with(rate_login_per_ip=1, trusted_proxy_hops=1) as client:

        def attempt(forwarded_for: str) -> Any:
            return client.post(
                "/api/auth/login",
                json={"email": "nobody@example.com", "password": "wrong password"},
                headers={"X-Forwarded-For": forwarded_for},
            )

        first = await attempt("198.51.100.7")
        # What the client claims left of the proxy's entry changes nothing.
        spoofed = await attempt("203.0.113.1, 198.51.100.7")
        another_client = await attempt("198.51.100.8")

    assert_problem(first, 401, "invalid_credentials")
    assert_limited(spoofed, 45)
    assert_problem(another_client, 401, "invalid_credentials")


async def test_without_trusted_proxies_the_forwarded_header_is_ignored(
    client_with: Callable[..., AsyncTestClient[Any]],
) -> None:
    async with client_with(rate_login_per_ip=1) as client:
        answers = [
            await client.post(
                "/api/auth/login",
                json={"email": "nobody@example.com", "password": "wrong password"},
                headers={"X-Forwarded-For": address},
            )
            for address in ("198.51.100.7", "198.51.100.8")
        ]

    assert_problem(answers[0], 401, "invalid_credentials")
    assert_limited(answers[1], 45)
