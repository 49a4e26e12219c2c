"""Cache invalidations (public pages, users behind authentication) and ended sign-ins shared
between processes over the machine's real Redis (a unique key prefix, so the channels are this
run's own): two app instances on one database, and the subscriber's recovery from a killed or
silently dead connection. The two-process tests run again on the machine's NATS
(``MOCHEONG_BROKER=nats``, a unique subject prefix; its streams deleted afterwards)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from adapters.redis.cache_peers import RedisCachePeers
from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from entrypoints.runtime.page_cache import CachedResponse, PageCache, Representation
from mocheong_core.kernel.clock import SystemClock
from mocheong_core.kernel.ids import new_id
from tests import services
from tests.integration.accounts_http import Client, bearer, login, register
from tests.integration.pages_helpers import (
    admin_headers,
    container_of,
    create_complete_page,
    user_headers,
)
from tests.integration.redis_faults import BlackholeProxy

pytestmark = pytest.mark.redis

GUARD = 20.0
"""Hang guard only: a subscriber that never recovers fails the test instead of blocking it."""


@pytest.fixture
def prefix() -> str:
    services.require_redis()
    return services.unique_redis_prefix()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Polls ``check`` (the subscriber works in the background) up to the hang guard."""
    for _ in range(int(GUARD / 0.01)):
        if await check():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never happened: {what}")


def entry() -> CachedResponse:
    return CachedResponse(Representation(b"page", b'"1"', (), ()), 1e12)


async def test_an_edit_through_one_process_refreshes_the_other(
    settings: Settings, prefix: str
) -> None:
    shared = evolve(
        settings,
        redis_url=services.REDIS_URL,
        redis_prefix=prefix,
        public_base_url="https://mocheong.example",
    )
    async with (
        AsyncTestClient(create_app(shared)) as a,
        AsyncTestClient(create_app(shared)) as b,
    ):
        owner = await user_headers(a)
        page = await create_complete_page(a, owner, greeting="첫 인사말")
        slug = page["slug"]
        assert "첫 인사말" in (await b.get(f"/i/{slug}")).text
        cache_b = cached(b)
        assert await on_loop(b, lambda: cache_b.get(slug, "html") is not None)

        patched = await a.patch(
            f"/api/pages/{page['id']}", json={"greeting": "바뀐 인사말"}, headers=owner
        )
        assert patched.status_code == 200
        await eventually(
            lambda: on_loop(b, lambda: cache_b.get(slug, "html") is None),
            "process B dropped the page A changed",
        )
        assert "바뀐 인사말" in (await b.get(f"/i/{slug}")).text

        await a.post(f"/api/pages/{page['id']}/unpublish", headers=owner)
        await eventually(
            lambda: on_loop(b, lambda: cache_b.get(slug, "html") is None),
            "process B dropped the unpublished page",
        )
        assert (await b.get(f"/i/{slug}")).status_code == 404


def cached(client: Client) -> PageCache:
    cache = client.blocking_portal.call(container_of(client).get, PageCache)
    assert isinstance(cache, PageCache)
    return cache


async def on_loop(client: Client, check: Callable[[], bool]) -> bool:
    """Runs ``check`` on the app's own event loop, where its cache is changed."""

    async def run() -> bool:
        return check()

    return bool(client.blocking_portal.call(run))


Listener = tuple[RedisCachePeers, PageCache]


@pytest.fixture
async def listener(prefix: str) -> AsyncIterator[Callable[..., Awaitable[Listener]]]:
    """A subscribed ``RedisCachePeers`` on this run's channel, with the cache it keeps."""
    made: list[tuple[asyncio.Task[None], RedisCachePeers, Redis]] = []

    async def make(url: str = services.REDIS_URL, **options: Any) -> Listener:
        client = Redis.from_url(url)
        peer = RedisCachePeers(client, f"{prefix}page-cache", **options)
        cache = PageCache(10, SystemClock(), peers=peer)
        task = asyncio.create_task(peer.listen(cache))
        made.append((task, peer, client))
        await asyncio.wait_for(peer.subscribed.wait(), GUARD)
        return peer, cache

    yield make
    for task, peer, client in made:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await peer.aclose()
        await client.aclose()


@pytest.fixture
async def admin() -> AsyncIterator[Redis]:
    client = Redis.from_url(services.REDIS_URL)
    yield client
    await client.aclose()


async def test_a_killed_subscription_comes_back_with_an_empty_cache(
    listener: Callable[..., Awaitable[Listener]], admin: Redis, prefix: str
) -> None:
    peer, cache = await listener()
    cache.put("kept-too-long", "html", entry(), cache.ticket())

    # Only this run's subscriber carries this name: other runs' connections are left alone.
    named = [c for c in await admin.client_list() if c.get("name") == f"{prefix}page-cache"]
    assert len(named) == 1
    assert await admin.client_kill_filter(_id=named[0]["id"]) == 1

    await eventually(lambda: holds(peer.subscriptions == 2), "the subscription came back")
    # Whatever was announced while it was away could have been missed: nothing old is kept.
    assert cache.get("kept-too-long", "html") is None
    cache.put("a", "html", entry(), cache.ticket())
    await admin.publish(f"{prefix}page-cache", json.dumps(["a"]))
    await eventually(lambda: holds(cache.get("a", "html") is None), "the new subscription works")


async def test_a_silent_connection_is_noticed_and_replaced(
    listener: Callable[..., Awaitable[Listener]], admin: Redis, prefix: str
) -> None:
    proxy = BlackholeProxy(services.REDIS_URL)
    await proxy.start()
    try:
        peer, cache = await listener(proxy.url, ping_interval=0.05)
        cache.put("stale", "html", entry(), cache.ticket())
        assert proxy.freeze() >= 1
        await admin.publish(f"{prefix}page-cache", json.dumps(["stale"]))  # never arrives
        await eventually(lambda: holds(peer.subscriptions == 2), "a new subscription")
        assert cache.get("stale", "html") is None
    finally:
        await proxy.close()


async def holds(value: bool) -> bool:
    return value


@pytest.fixture(params=["redis", pytest.param("nats", marks=pytest.mark.nats)])
async def deployment(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[dict[str, Any]]:
    """The settings that put the app instances on one broker: Redis or NATS."""
    if request.param == "redis":
        yield {"redis_url": services.REDIS_URL, "redis_prefix": prefix}
        return
    await services.require_nats()
    subjects = services.unique_nats_prefix()
    yield {"broker": "nats", "nats_url": services.NATS_URL, "nats_prefix": subjects}
    await services.delete_nats_streams(subjects)


@asynccontextmanager
async def two_processes(
    settings: Settings, deployment: dict[str, Any]
) -> AsyncIterator[tuple[Client, Client]]:
    """Two app instances on one database and one broker, as two API processes."""
    shared = evolve(settings, **deployment)
    async with (
        AsyncTestClient(create_app(shared)) as a,
        AsyncTestClient(create_app(shared)) as b,
    ):
        yield a, b


async def test_a_user_disabled_through_one_process_is_refused_by_the_other(
    settings: Settings, deployment: dict[str, Any]
) -> None:
    async with two_processes(settings, deployment) as (a, b):
        admin = await admin_headers(a)
        user = await register(a, f"{new_id()}@example.com")
        me = "/api/auth/me"
        # B authenticates the user once: from then on it answers from its own cache.
        assert (await b.get(me, headers=bearer(user))).status_code == 200

        patched = await a.patch(
            f"/api/admin/users/{user['user']['id']}", json={"disabled": True}, headers=admin
        )
        assert patched.status_code == 200

        async def refused() -> bool:
            return (await b.get(me, headers=bearer(user))).status_code == 401

        await eventually(refused, "process B refused the user A disabled")


async def test_a_page_deleted_through_one_process_has_no_chat_on_the_other(
    settings: Settings, deployment: dict[str, Any]
) -> None:
    async with two_processes(settings, deployment) as (a, b):
        owner = await user_headers(a)
        page = (await a.post("/api/pages", json={}, headers=owner)).json()
        body = {"page_id": page["id"], "message": "안녕하세요"}
        # B opens the page's chat once: from then on it knows the session without reading it.
        assert (await b.post("/api/chat", json=body, headers=owner)).status_code == 202

        assert (await a.delete(f"/api/pages/{page['id']}", headers=owner)).status_code == 204

        async def refused() -> bool:
            return (await b.post("/api/chat", json=body, headers=owner)).status_code == 404

        await eventually(refused, "process B refused the chat of the page A deleted")


async def test_a_user_disabled_through_one_process_loses_its_socket_on_the_other(
    settings: Settings, deployment: dict[str, Any]
) -> None:
    async with two_processes(settings, deployment) as (a, b):
        admin = await admin_headers(a)
        user = await register(a, f"{new_id()}@example.com")
        token = user["access_token"]
        with await b.websocket_connect(f"/ws/chat?token={token}") as ws:
            ws.send_json({"event": "ping", "data": {}})
            assert ws.receive_json(timeout=GUARD)["event"] == "pong"

            patched = await a.patch(
                f"/api/admin/users/{user['user']['id']}", json={"disabled": True}, headers=admin
            )
            assert patched.status_code == 200

            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json(timeout=GUARD)
        assert closed.value.code == 4401


async def logout(client: Client, tokens: dict[str, Any]) -> None:
    out = await client.post(
        "/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=bearer(tokens)
    )
    assert out.status_code == 204


async def test_a_sign_in_ended_through_one_process_is_refused_by_the_other(
    settings: Settings, deployment: dict[str, Any]
) -> None:
    async with two_processes(settings, deployment) as (a, b):
        user = await register(a, f"{new_id()}@example.com")
        other = await login(a, user["user"]["email"])
        me = "/api/auth/me"
        # B has the user cached: only the revoked family can refuse the token there.
        assert (await b.get(me, headers=bearer(user))).status_code == 200

        await logout(a, user)

        async def refused() -> bool:
            return (await b.get(me, headers=bearer(user))).status_code == 401

        await eventually(refused, "process B refused the access token of A's logout")
        # The user's other sign-in is untouched.
        assert (await b.get(me, headers=bearer(other))).status_code == 200


async def test_a_process_that_subscribes_later_learns_of_earlier_sign_outs(
    settings: Settings, deployment: dict[str, Any]
) -> None:
    shared = evolve(settings, **deployment)
    async with AsyncTestClient(create_app(shared)) as a:
        user = await register(a, f"{new_id()}@example.com")
        await logout(a, user)
        async with AsyncTestClient(create_app(shared)) as late:

            async def refused() -> bool:
                response = await late.get("/api/auth/me", headers=bearer(user))
                return response.status_code == 401

            await eventually(refused, "a process started after a logout refused its token")


async def test_a_sign_out_through_one_process_closes_that_sign_ins_socket_on_the_other(
    settings: Settings, deployment: dict[str, Any]
) -> None:
    async with two_processes(settings, deployment) as (a, b):
        user = await register(a, f"{new_id()}@example.com")
        with await b.websocket_connect(f"/ws/chat?token={user['access_token']}") as ws:
            ws.send_json({"event": "ping", "data": {}})
            assert ws.receive_json(timeout=GUARD)["event"] == "pong"

            await logout(a, user)

            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json(timeout=GUARD)
        assert closed.value.code == 4401


async def test_a_plan_bought_or_refunded_through_one_process_shows_at_once_on_the_other(
    settings: Settings, deployment: dict[str, Any]
) -> None:
    """Premium drops the branding footer: the page cached by both processes is dropped by both
    when the order is paid (the sandbox gateway) and again when an admin refunds it."""
    footer = "모청으로 만든 모바일 청첩장"
    public = evolve(settings, public_base_url="https://mocheong.example")
    async with two_processes(public, deployment) as (a, b):
        owner = await user_headers(a)
        page = await create_complete_page(a, owner)
        slug = page["slug"]
        cache_a, cache_b = cached(a), cached(b)
        for client in (a, b):
            assert footer in (await client.get(f"/i/{slug}")).text
        assert await on_loop(b, lambda: cache_b.get(slug, "html") is not None)

        order = (await a.post("/api/payments/orders", headers=owner, json={
            "product_code": "premium", "page_id": page["id"]})).json()  # fmt: skip
        paid = await a.post(f"/api/payments/orders/{order['order_id']}/complete",
                            json={"payment_id": order["payment_id"]}, headers=owner)  # fmt: skip
        assert paid.json()["status"] == "paid", paid.text
        assert await on_loop(a, lambda: cache_a.get(slug, "html") is None)
        await eventually(
            lambda: on_loop(b, lambda: cache_b.get(slug, "html") is None),
            "process B dropped the page that became premium",
        )
        for client in (a, b):
            assert footer not in (await client.get(f"/i/{slug}")).text

        admin = await admin_headers(a)
        refund = await a.post(f"/api/admin/payments/{order['order_id']}/cancel",
                              json={"reason": "환불 요청"}, headers=admin)  # fmt: skip
        assert refund.json()["status"] == "cancelled", refund.text
        await eventually(
            lambda: on_loop(b, lambda: cache_b.get(slug, "html") is None),
            "process B dropped the page that lost premium",
        )
        for client in (a, b):
            assert footer in (await client.get(f"/i/{slug}")).text
