"""Accounts over HTTP on SQLite and Postgres: the session life cycle, token attacks, admin."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest

from tests import services
from tests.integration.accounts_http import (
    PASSWORD,
    Client,
    admin_tokens,
    assert_problem,
    bearer,
    login,
    register,
)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _signed(
    claims: dict[str, Any], secret: str = services.TEST_JWT_SECRET, alg: str = "HS256"
) -> str:
    return jwt.encode(claims, secret, algorithm=alg)


async def test_register_login_me_refresh_and_reuse_revokes_the_family(client: Client) -> None:
    registered = await register(client, "Minjun@Example.com")
    assert registered["token_type"] == "Bearer"
    assert registered["user"]["email"] == "minjun@example.com"
    assert registered["expires_in"] > 0
    assert "password_hash" not in registered["user"]

    session = await login(client, "MINJUN@example.com")
    me = await client.get("/api/auth/me", headers=bearer(session))
    assert me.status_code == 200
    assert me.json()["id"] == registered["user"]["id"]

    rotated = await client.post(
        "/api/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert rotated.status_code == 200
    newest = rotated.json()
    assert newest["refresh_token"] != session["refresh_token"]
    assert (await client.get("/api/auth/me", headers=bearer(newest))).status_code == 200

    reused = await client.post(
        "/api/auth/refresh", json={"refresh_token": session["refresh_token"]}
    )
    assert_problem(reused, 401, "invalid_token")
    assert reused.headers["www-authenticate"] == "Bearer"
    # The whole family is revoked: the token the attacker or the victim holds now fails too.
    after = await client.post("/api/auth/refresh", json={"refresh_token": newest["refresh_token"]})
    assert_problem(after, 401, "invalid_token")
    # ...and so are the family's access tokens, before they expire.
    for tokens in (session, newest):
        me = await client.get("/api/auth/me", headers=bearer(tokens))
        assert_problem(me, 401, "invalid_token")
    # Another family (the registration's session) is untouched.
    other = await client.post(
        "/api/auth/refresh", json={"refresh_token": registered["refresh_token"]}
    )
    assert other.status_code == 200


async def test_duplicate_email_in_another_case_is_a_conflict(client: Client) -> None:
    await register(client, "seoyeon@example.com")

    response = await client.post(
        "/api/auth/register",
        json={"email": " SeoYeon@Example.com", "password": PASSWORD, "name": "Other"},
    )

    assert_problem(response, 409, "email_taken")


async def test_wrong_password_and_unknown_email_get_the_same_answer(client: Client) -> None:
    await register(client, "minjun@example.com")

    wrong = await client.post(
        "/api/auth/login", json={"email": "minjun@example.com", "password": "not the password"}
    )
    unknown = await client.post(
        "/api/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )

    assert_problem(wrong, 401, "invalid_credentials")
    assert wrong.json() == unknown.json()


async def test_logout_ends_the_session(client: Client) -> None:
    tokens = await register(client, "minjun@example.com")

    out = await client.post(
        "/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=bearer(tokens)
    )

    assert out.status_code == 204
    refused = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert_problem(refused, 401, "invalid_token")
    # The access token of that sign-in is refused at once too, on the hot path as well.
    assert_problem(await client.get("/api/auth/me", headers=bearer(tokens)), 401, "invalid_token")
    chat = await client.post("/api/chat", json={"message": "안녕"}, headers=bearer(tokens))
    assert_problem(chat, 401, "invalid_token")


async def test_logout_needs_an_access_token(client: Client) -> None:
    tokens = await register(client, "minjun@example.com")

    response = await client.post(
        "/api/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )

    assert_problem(response, 401, "unauthorized")


def _tampered_signature(token: str) -> str:
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def _promoted_payload(token: str) -> str:
    head, _, signature = token.split(".")
    return f"{head}.{_b64({**_claims(token), 'role': 'admin'})}.{signature}"


def _alg_none(token: str) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(token))}."


def _expired(token: str) -> str:
    past = int(time.time()) - 3600
    return _signed({**_claims(token), "iat": past - 900, "exp": past})


def _typed(kind: str | None) -> Any:
    def forge(token: str) -> str:
        claims = _claims(token)
        claims.pop("type")
        return _signed(claims if kind is None else {**claims, "type": kind})

    return forge


def _other_secret(token: str) -> str:
    return _signed(_claims(token), secret="another-secret-of-at-least-32-characters")


def _hs512(token: str) -> str:
    return _signed(_claims(token), alg="HS512")


def _unknown_user(token: str) -> str:
    return _signed({**_claims(token), "sub": str(uuid.uuid4())})


@pytest.mark.parametrize(
    "forge",
    [
        _tampered_signature,
        _promoted_payload,
        _alg_none,
        _expired,
        _typed("refresh"),
        _typed(None),
        _other_secret,
        _hs512,
        _unknown_user,
        lambda token: token[:-40],
        lambda token: "not-a-jwt",
    ],
    ids=[
        "tampered-signature",
        "promoted-payload",
        "alg-none",
        "expired",
        "refresh-type",
        "missing-type",
        "other-secret",
        "hs512",
        "unknown-user",
        "truncated",
        "garbage",
    ],
)
async def test_forged_access_tokens_are_refused(client: Client, forge: Any) -> None:
    tokens = await register(client, "minjun@example.com")
    assert (await client.get("/api/auth/me", headers=bearer(tokens))).status_code == 200

    response = await client.get("/api/auth/me", headers=bearer(forge(tokens["access_token"])))

    assert_problem(response, 401, "invalid_token")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
async def test_requests_without_a_bearer_token_are_refused(client: Client, header: str) -> None:
    response = await client.get("/api/auth/me", headers={"Authorization": header})

    assert_problem(response, 401, "unauthorized")


async def test_a_refresh_token_is_not_an_access_token(client: Client) -> None:
    tokens = await register(client, "minjun@example.com")

    response = await client.get("/api/auth/me", headers=bearer(tokens["refresh_token"]))

    assert_problem(response, 401, "invalid_token")


async def test_a_disabled_user_loses_access_and_refresh_at_once(client: Client) -> None:
    admin = await admin_tokens(client)
    user = await register(client, "minjun@example.com")
    # Seen once, so the process has the user in its authentication cache.
    assert (await client.get("/api/auth/me", headers=bearer(user))).status_code == 200

    patched = await client.patch(
        f"/api/admin/users/{user['user']['id']}", json={"disabled": True}, headers=bearer(admin)
    )

    assert patched.status_code == 200
    assert patched.json()["disabled"] is True
    assert_problem(await client.get("/api/auth/me", headers=bearer(user)), 401, "account_disabled")
    assert_problem(
        await client.post("/api/auth/refresh", json={"refresh_token": user["refresh_token"]}),
        401,
        "invalid_token",
    )
    assert_problem(
        await client.post(
            "/api/auth/login", json={"email": "minjun@example.com", "password": PASSWORD}
        ),
        401,
        "account_disabled",
    )


async def test_admin_lists_and_changes_users(client: Client) -> None:
    admin = await admin_tokens(client)
    for n in range(3):
        await register(client, f"user{n}@example.com", f"User {n}")

    first = await client.get("/api/admin/users", params={"limit": 2}, headers=bearer(admin))
    assert first.status_code == 200
    page = first.json()
    second = await client.get(
        "/api/admin/users",
        params={"limit": 2, "cursor": page["next_cursor"]},
        headers=bearer(admin),
    )
    emails = [u["email"] for u in page["items"] + second.json()["items"]]
    assert emails == [
        "user2@example.com",
        "user1@example.com",
        "user0@example.com",
        "ops@example.com",
    ]
    assert second.json()["next_cursor"] is None

    target = page["items"][0]["id"]
    promoted = await client.patch(
        f"/api/admin/users/{target}", json={"role": "admin"}, headers=bearer(admin)
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "admin"


async def test_admin_patch_refuses_bad_input_and_unknown_users(client: Client) -> None:
    admin = await admin_tokens(client)
    user = await register(client, "minjun@example.com")

    bad = await client.patch(
        f"/api/admin/users/{user['user']['id']}",
        json={"role": "emperor", "disabled": "yes"},
        headers=bearer(admin),
    )
    missing = await client.patch(
        "/api/admin/users/no-such-user", json={"disabled": True}, headers=bearer(admin)
    )
    itself = await client.patch(
        f"/api/admin/users/{admin['user']['id']}", json={"disabled": True}, headers=bearer(admin)
    )

    body = assert_problem(bad, 422, "validation_error")
    assert {e["field"] for e in body["errors"]} == {"role", "disabled"}
    assert_problem(missing, 404, "not_found")
    assert_problem(itself, 409, "self_lockout")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/admin/users"), ("PATCH", "/api/admin/users/some-id")],
)
async def test_admin_routes_refuse_users_and_anonymous_callers(
    client: Client, method: str, path: str
) -> None:
    user = await register(client, "minjun@example.com")
    body = {"disabled": True} if method == "PATCH" else None

    as_user = await client.request(method, path, json=body, headers=bearer(user))
    anonymous = await client.request(method, path, json=body)

    assert_problem(as_user, 403, "forbidden")
    assert_problem(anonymous, 401, "unauthorized")
