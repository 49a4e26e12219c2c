"""Administration of accounts: every user, and disabling one or changing their role."""

from __future__ import annotations

from typing import Annotated

import msgspec
from dishka import FromDishka
from dishka.integrations.litestar import inject
from litestar import Controller, get, patch
from litestar.params import FromPath, JSONBody, Parameter

from entrypoints.http.api.accounts import UserList, UserOut
from entrypoints.http.auth import BEARER, CurrentUser
from entrypoints.http.closed_sets import MaybeRole
from mocheong_core.accounts.usecases import ListUsers, UpdateUser


class UserPatch(msgspec.Struct):
    disabled: bool | None = None
    role: MaybeRole | None = None


class AdminUsersController(Controller):
    path = "/api/admin/users"
    tags = ["admin"]  # noqa: RUF012
    security = BEARER

    @get("/")
    @inject
    async def list_users(
        self,
        user: FromDishka[CurrentUser],
        usecase: FromDishka[ListUsers],
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Parameter(max_length=64)] = None,
    ) -> UserList:
        page = await usecase(user, limit=limit, cursor=cursor)
        return UserList([UserOut.of(u) for u in page.items], page.next_cursor)

    @patch("/{user_id:str}")
    @inject
    async def update_user(
        self,
        user_id: FromPath[str],
        data: JSONBody[UserPatch],
        user: FromDishka[CurrentUser],
        usecase: FromDishka[UpdateUser],
    ) -> UserOut:
        return UserOut.of(await usecase(user, user_id, disabled=data.disabled, role=data.role))
