"""The real `mocheong serve` process never writes a password or a token to its output."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.live_server import live_server

PASSWORD = "pa55word-that-must-never-be-logged"


def test_no_password_or_token_reaches_the_logs(tmp_path: Path) -> None:
    output = tmp_path / "server.log"
    secrets: list[str] = [PASSWORD, "wrong-" + PASSWORD]
    with (
        live_server(tmp_path, output, {"MOCHEONG_LOG_LEVEL": "DEBUG"}) as base_url,
        httpx.Client(base_url=base_url, timeout=30) as http,
    ):
        account = {"email": "minjun@example.com", "password": PASSWORD}
        registered = http.post("/api/auth/register", json={**account, "name": "Minjun"})
        assert registered.status_code == 201
        logged_in = http.post("/api/auth/login", json=account)
        assert logged_in.status_code == 200
        tokens = [registered.json(), logged_in.json()]
        refreshed = http.post(
            "/api/auth/refresh", json={"refresh_token": tokens[1]["refresh_token"]}
        )
        assert refreshed.status_code == 200
        tokens.append(refreshed.json())
        access = tokens[-1]["access_token"]
        auth = {"Authorization": f"Bearer {access}"}

        assert http.get("/api/auth/me", headers=auth).status_code == 200
        assert http.get("/api/auth/me", params={"token": access}).status_code == 401
        assert (
            http.post("/api/auth/login", json={**account, "password": secrets[1]}).status_code
            == 401
        )
        # The spent token again: refused, and the family revoked.
        reused = http.post("/api/auth/refresh", json={"refresh_token": tokens[1]["refresh_token"]})
        assert reused.status_code == 401
        bad_body = http.post(
            "/api/auth/register",
            json={"email": "x", "password": [PASSWORD], "name": PASSWORD * 10},
        )
        assert bad_body.status_code == 422
        malformed = http.post(
            "/api/auth/login",
            content=f'{{"email": "minjun@example.com", "password": "{PASSWORD}"',
            headers={"content-type": "application/json"},
        )
        assert malformed.status_code == 400
        # The reuse ended the login's sign-in, its access token with it: log out with the
        # registration's.
        assert http.get("/api/auth/me", headers=auth).status_code == 401
        first = {"Authorization": f"Bearer {tokens[0]['access_token']}"}
        assert (
            http.post(
                "/api/auth/logout",
                json={"refresh_token": tokens[0]["refresh_token"]},
                headers=first,
            ).status_code
            == 204
        )
        for pair in tokens:
            secrets += [pair["access_token"], pair["refresh_token"]]

    log = output.read_text()
    # The process did log these requests, so a leak would have had its chance to show.
    assert '"event": "request"' in log
    assert "/api/auth/login" in log
    for secret in secrets:
        assert secret not in log
        # Nor any recognisable part of it: a JWT's signature, a refresh token's middle.
        assert secret[-20:] not in log
