from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, Request, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_204_NO_CONTENT

from entrypoints.bootstrap.settings import REGISTER_WINDOW, Settings
from entrypoints.http.auth import BEARER, CurrentUser, client_ip
from entrypoints.http.closed_sets import RoleText
from mocheong_core.accounts.model import TokenPair, User, normalize_email
from mocheong_core.accounts.usecases import Login, Logout, Refresh, Register
from mocheong_core.kernel.ratelimit import Limit, RateLimiter, enforce

Email = Annotated[str, msgspec.Meta(max_length=254)]
Password = Annotated[str, msgspec.Meta(max_length=1024)]


class RegisterIn(msgspec.Struct, forbid_unknown_fields=False):
    email: Email
    password: Password
    name: Annotated[str, msgspec.Meta(max_length=200)]


class LoginIn(msgspec.Struct):
    email: Email
    password: Password


class RefreshIn(msgspec.Struct):
    refresh_token: Annotated[str, msgspec.Meta(max_length=512)]


class UserOut(msgspec.Struct):
    id: str
    email: str
    name: str
    role: RoleText
    disabled: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(user.id, user.email, user.name, user.role.value, user.disabled, user.created_at)


class TokensOut(msgspec.Struct):
    user: UserOut
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret

    @classmethod
    def of(cls, pair: TokenPair) -> TokensOut:
        return cls(UserOut.of(pair.user), pair.access_token, pair.refresh_token, pair.expires_in)


class UserList(msgspec.Struct):
    items: list[UserOut]
    next_cursor: str | None


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]  # noqa: RUF012

    @post("/register", status_code=201)
    @inject
    async def register(
        self,
        data: JSONBody[RegisterIn],
        request: Request[Any, Any, Any],
        usecase: FromDishka[Register],
        limiter: FromDishka[RateLimiter],
        settings: FromDishka[Settings],
    ) -> TokensOut:
        await enforce(
            limiter,
            f"register:ip:{client_ip(request)}",
            Limit(settings.rates.register_per_ip, REGISTER_WINDOW),
        )
        return TokensOut.of(await usecase(data.email, data.password, data.name))

    @post("/login", status_code=200)
    @inject
    async def login(
        self,
        data: JSONBody[LoginIn],
        request: Request[Any, Any, Any],
        usecase: FromDishka[Login],
        limiter: FromDishka[RateLimiter],
        settings: FromDishka[Settings],
    ) -> TokensOut:
        await enforce(
            limiter, f"login:ip:{client_ip(request)}", Limit(settings.rates.login_per_ip, 60)
        )
        await enforce(
            limiter,
            f"login:account:{normalize_email(data.email)}",
            Limit(settings.rates.login_per_account, 60),
        )
        return TokensOut.of(await usecase(data.email, data.password))

    @post("/refresh", status_code=200)
    @inject
    async def refresh(self, data: JSONBody[RefreshIn], usecase: FromDishka[Refresh]) -> TokensOut:
        return TokensOut.of(await usecase(data.refresh_token))

    @post("/logout", status_code=HTTP_204_NO_CONTENT, security=BEARER)
    @inject
    async def logout(
        self, data: JSONBody[RefreshIn], user: FromDishka[CurrentUser], usecase: FromDishka[Logout]
    ) -> None:
        await usecase(user, data.refresh_token)

    @get("/me", security=BEARER)
    @inject
    async def me(self, user: FromDishka[CurrentUser]) -> UserOut:
        return UserOut.of(user)
