"""Chat over HTTP on SQLite and Postgres: submit, sessions, history, cancel, SSE, access."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

import httpx
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.app import create_app
from entrypoints.bootstrap.settings import Settings, evolve
from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import (
    Frame,
    SseSession,
    chat_client,
    messages,
    owner,
    stored,
    submit,
    talking_client,
)
from tests.integration.pages_helpers import admin_headers

__all__ = ["chat_client", "talking_client"]


def chunks_of(frames: list[Frame], message_id: str) -> str:
    return "".join(
        f["data"]["delta"]
        for f in frames
        if f.get("event") == "message-chunk" and f["data"]["message_id"] == message_id
    )


def final_sse(message_id: str) -> Callable[[Frame], bool]:
    return lambda f: f.get("event") == "newMessage" and f["data"]["message_id"] == message_id


async def test_submit_is_accepted_and_the_reply_is_stored(chat_client: Client) -> None:
    who = await owner(chat_client)
    accepted = await submit(chat_client, who, "신부 이서연입니다", client_message_id="c-1")

    assert accepted["status"] == "accepted"
    assert accepted["client_message_id"] == "c-1"
    assert accepted["duplicate"] is False
    reply = await stored(chat_client, who, accepted["session_id"], accepted["message_id"])
    assert reply["status"] == "completed"
    assert reply["role"] == "assistant"
    assert reply["attempt"] == 1
    assert reply["reply_to"] == accepted["user_message_id"]
    assert reply["metadata"]["model"] == "offline"
    assert reply["metadata"]["offline"] is True
    assert "이서연" in reply["content"]
    page = (await chat_client.get(f"/api/pages/{who.page_id}", headers=who.headers)).json()
    assert page["couple"]["bride"]["name"] == "이서연"


async def test_the_same_client_message_id_returns_the_same_message(chat_client: Client) -> None:
    who = await owner(chat_client)
    first = await submit(chat_client, who, "hello", client_message_id="again")
    second = await submit(chat_client, who, "hello", client_message_id="again")
    by_session = await chat_client.post(
        "/api/chat",
        json={"session_id": first["session_id"], "message": "hello", "client_message_id": "again"},
        headers=who.headers,
    )

    assert second["message_id"] == first["message_id"]
    assert second["duplicate"] is True
    assert by_session.json()["message_id"] == first["message_id"]
    await stored(chat_client, who, first["session_id"], first["message_id"])
    listed = await messages(chat_client, who, first["session_id"])
    assert len(listed["items"]) == 2


async def test_history_is_newest_first_and_paginated(chat_client: Client) -> None:
    who = await owner(chat_client)
    for n in range(3):
        last = await submit(chat_client, who, f"message {n}")
        await stored(chat_client, who, last["session_id"], last["message_id"])

    first = await messages(chat_client, who, last["session_id"], limit=4)
    rest = await messages(
        chat_client, who, last["session_id"], limit=4, cursor=first["next_cursor"]
    )

    items = first["items"] + rest["items"]
    assert [m["content"] for m in items if m["role"] == "user"] == [
        "message 2",
        "message 1",
        "message 0",
    ]
    assert [m["role"] for m in items] == ["assistant", "user"] * 3
    assert rest["next_cursor"] is None


async def test_a_session_is_opened_for_a_page(chat_client: Client) -> None:
    who = await owner(chat_client)
    opened = await chat_client.post(
        "/api/chat/sessions", json={"page_id": who.page_id}, headers=who.headers
    )
    again = await chat_client.post(
        "/api/chat/sessions", json={"page_id": who.page_id}, headers=who.headers
    )

    assert opened.status_code == 200
    assert opened.json() == again.json()
    assert opened.json()["room"] == who.room


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"message": "   "}, ["message"]),
        ({"message": "x" * 4001}, ["message"]),
        ({"message": "hi", "client_message_id": ""}, ["client_message_id"]),
        ({"message": 5}, ["message"]),
        ({}, ["message"]),
    ],
)
async def test_bad_submissions_name_each_field(
    chat_client: Client, body: dict[str, object], fields: list[str]
) -> None:
    who = await owner(chat_client)
    response = await chat_client.post(
        "/api/chat", json={"page_id": who.page_id, **body}, headers=who.headers
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == fields


async def test_a_submission_needs_a_page_or_a_session(chat_client: Client) -> None:
    who = await owner(chat_client)
    response = await chat_client.post("/api/chat", json={"message": "hi"}, headers=who.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "page_id"


async def test_chat_routes_are_the_owners_only(chat_client: Client) -> None:
    who = await owner(chat_client)
    stranger = await owner(chat_client, "타인")
    accepted = await submit(chat_client, who)
    session, message = accepted["session_id"], accepted["message_id"]
    routes = [
        ("POST", "/api/chat", {"page_id": who.page_id, "message": "hi"}),
        ("POST", "/api/chat", {"session_id": session, "message": "hi"}),
        ("POST", "/api/chat/sessions", {"page_id": who.page_id}),
        ("GET", f"/api/chat/sessions/{session}/messages", None),
        ("GET", f"/api/chat/sessions/{session}/stream", None),
        ("POST", f"/api/chat/messages/{message}/cancel", None),
    ]
    for method, path, body in routes:
        anonymous = await chat_client.request(method, path, json=body)
        other = await chat_client.request(method, path, json=body, headers=stranger.headers)
        assert anonymous.status_code == 401, path
        assert other.status_code == 404, path
        assert other.json()["code"] == "not_found"
    missing = await chat_client.get("/api/chat/sessions/nope/messages", headers=who.headers)
    assert missing.status_code == 404


async def test_a_deleted_pages_chat_is_gone_at_once(chat_client: Client) -> None:
    who = await owner(chat_client)
    await submit(chat_client, who)  # the process now knows the page's session

    deleted = await chat_client.delete(f"/api/pages/{who.page_id}", headers=who.headers)
    assert deleted.status_code == 204

    response = await chat_client.post(
        "/api/chat", json={"page_id": who.page_id, "message": "hi"}, headers=who.headers
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_submits_are_rate_limited_per_user(settings: Settings) -> None:
    async with AsyncTestClient(create_app(evolve(settings, rate_chat_per_user=2))) as client:
        who = await owner(client)
        await submit(client, who)
        await submit(client, who)
        response = await client.post(
            "/api/chat", json={"page_id": who.page_id, "message": "3"}, headers=who.headers
        )

    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) > 0


async def test_many_submits_at_once_all_land_on_a_small_pool(settings: Settings) -> None:
    """Submits hand their turns to one writer that needs a pooled connection of its own: a
    request must not keep one while it waits for that writer, or a burst larger than the pool
    would wait until the pool times out. (httpx on the app's own loop: the requests really run
    at the same time.)"""
    small = evolve(settings, db_pool_size=2, db_pool_timeout=5.0, offline_model_delay_ms=0)
    app = create_app(small)
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        who = await owner(cast(Client, http))
        responses = await asyncio.gather(
            *(
                http.post(
                    "/api/chat",
                    json={"page_id": who.page_id, "message": f"{n}", "client_message_id": f"m{n}"},
                    headers=who.headers,
                )
                for n in range(12)
            )
        )
    assert [r.status_code for r in responses] == [202] * 12
    assert len({r.json()["message_id"] for r in responses}) == 12


async def test_cancel_keeps_the_partial_text(talking_client: Client) -> None:
    who = await owner(talking_client)
    accepted = await submit(talking_client, who, "길게")
    path = f"/api/chat/sessions/{accepted['session_id']}/stream"
    with SseSession(talking_client, path, who.headers, cursor="resync") as sse:
        sse.until(lambda f: f.get("event") == "message-chunk")
        response = await talking_client.post(
            f"/api/chat/messages/{accepted['message_id']}/cancel", headers=who.headers
        )
        frames = sse.until(final_sse(accepted["message_id"]))

    assert response.status_code in (200, 202)
    assert frames[-2]["event"] == "message-cancelled"
    reply = await stored(talking_client, who, accepted["session_id"], accepted["message_id"])
    assert reply["status"] == "cancelled"
    assert reply["content"] == frames[-1]["data"]["content"]
    assert reply["content"].startswith("말0 ")
    again = await talking_client.post(
        f"/api/chat/messages/{accepted['message_id']}/cancel", headers=who.headers
    )
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")


async def test_cancelling_a_finished_message_is_a_no_op(chat_client: Client) -> None:
    who = await owner(chat_client)
    accepted = await submit(chat_client, who)
    await stored(chat_client, who, accepted["session_id"], accepted["message_id"])

    response = await chat_client.post(
        f"/api/chat/messages/{accepted['message_id']}/cancel", headers=who.headers
    )
    assert (response.status_code, response.json()["status"]) == (200, "completed")


async def test_sse_streams_the_room_and_resumes_from_last_event_id(chat_client: Client) -> None:
    who = await owner(chat_client)
    opened = await chat_client.post(
        "/api/chat/sessions", json={"page_id": who.page_id}, headers=who.headers
    )
    path = f"/api/chat/sessions/{opened.json()['session_id']}/stream"
    with SseSession(chat_client, path, who.headers) as sse:
        assert sse.status == 200
        assert sse.next()["event"] == "session-info"
        accepted = await submit(chat_client, who, "5월 15일 오후 1시")
        seen = sse.until(final_sse(accepted["message_id"]))

    reply = accepted["message_id"]
    assert all(f["id"] == f["data"]["cursor"] for f in seen)
    assert seen[0]["event"] == "newMessage"  # the user's own message
    assert chunks_of(seen, reply) == seen[-1]["data"]["content"]
    cut = 2
    token = who.token
    with SseSession(chat_client, path, {"Last-Event-ID": seen[cut]["id"]}, token=token) as sse:
        assert sse.next()["event"] == "session-info"
        resumed = sse.until(final_sse(reply))

    assert [f["id"] for f in resumed] == [f["id"] for f in seen[cut + 1 :]]
    assert chunks_of(seen[: cut + 1] + resumed, reply) == seen[-1]["data"]["content"]


async def test_an_event_stream_ends_when_its_user_is_disabled(settings: Settings) -> None:
    quick = evolve(settings, chat_sse_heartbeat=0.05)
    async with AsyncTestClient(create_app(quick)) as client:
        who = await owner(client)
        admin = await admin_headers(client)
        me = (await client.get("/api/auth/me", headers=who.headers)).json()
        opened = await client.post(
            "/api/chat/sessions", json={"page_id": who.page_id}, headers=who.headers
        )
        path = f"/api/chat/sessions/{opened.json()['session_id']}/stream"
        with SseSession(client, path, who.headers) as sse:
            assert sse.next()["event"] == "session-info"
            patched = await client.patch(
                f"/api/admin/users/{me['id']}", json={"disabled": True}, headers=admin
            )
            assert patched.status_code == 200
            sse.read_to_end()


async def test_sse_sends_heartbeats_while_idle(settings: Settings) -> None:
    quick = evolve(settings, chat_sse_heartbeat=0.01)
    async with AsyncTestClient(create_app(quick)) as client:
        who = await owner(client)
        opened = await client.post(
            "/api/chat/sessions", json={"page_id": who.page_id}, headers=who.headers
        )
        path = f"/api/chat/sessions/{opened.json()['session_id']}/stream"
        with SseSession(client, path, who.headers) as sse:
            sse.next()
            assert sse.next() == {"comment": "heartbeat"}
