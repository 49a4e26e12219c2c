"""How every shell signs a caller in: the bearer token of a header, resolved through the core.
The HTTP routes, the WebSocket and the SSE stream (and any later transport) share it."""

from __future__ import annotations

from dishka import AsyncContainer

from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import Authenticate
from mocheong_core.errors import Unauthorized

BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
"""The OpenAPI security requirement of a route that needs an access token."""


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


async def authenticate(scope: AsyncContainer, token: str | None) -> User:
    if not token:
        raise Unauthorized("Send an access token")
    return await (await scope.get(Authenticate))(token)
