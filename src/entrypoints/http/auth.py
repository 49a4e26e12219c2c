"""Who is calling an HTTP route: the request's bearer token, signed in through the core."""

from __future__ import annotations

from typing import Any, NewType

from dishka import Provider, Scope, provide
from litestar import Request

from entrypoints.runtime.signin import BEARER as BEARER
from entrypoints.runtime.signin import bearer_token as bearer_token
from mocheong_core.accounts.model import User
from mocheong_core.accounts.usecases import Authenticate
from mocheong_core.errors import Unauthorized

CurrentUser = NewType("CurrentUser", User)


class HttpAuthProvider(Provider):
    @provide(scope=Scope.REQUEST)
    async def current_user(
        self,
        # dishka keys on the bare class that LitestarProvider registers, so no type arguments.
        request: Request,  # type: ignore[type-arg]
        authenticate: Authenticate,
    ) -> CurrentUser:
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            raise Unauthorized("Send an access token as `Authorization: Bearer <token>`")
        return CurrentUser(await authenticate(token))


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"
