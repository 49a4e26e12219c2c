"""Every account use case wired to the in-memory twins, a movable clock and cheap argon2."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import argon2
import attrs

from adapters.memory.accounts import InMemoryRefreshTokenRepository, InMemoryUserRepository
from adapters.memory.revoked_families import LocalRevokedFamilies
from adapters.memory.uow import InMemoryUnitOfWork
from adapters.memory.user_cache import LocalUserCache
from adapters.security.jwt_tokens import JwtAccessTokens
from adapters.security.passwords import Argon2PasswordHasher
from mocheong_core.accounts.model import TokenPair, User
from mocheong_core.accounts.usecases import (
    AccountsPolicy,
    Authenticate,
    CreateAdmin,
    ListUsers,
    Login,
    Logout,
    Refresh,
    Register,
    TokenMinter,
    UpdateUser,
)

T = TypeVar("T")
ACCESS_TTL = 900
REFRESH_TTL = 3600
PASSWORD = "correct horse battery"


@attrs.define
class ManualClock:
    at: datetime = datetime(2027, 5, 15, 4, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


def cheap_hasher() -> Argon2PasswordHasher:
    # The lowest argon2id cost keeps the tests fast; the algorithm and code path are the same.
    return Argon2PasswordHasher(argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


class Accounts:
    """One 'process': shared stores, and each call run like a request that ends afterwards."""

    def __init__(
        self,
        hasher: Argon2PasswordHasher | None = None,
        users: InMemoryUserRepository | None = None,
        tokens: InMemoryRefreshTokenRepository | None = None,
    ) -> None:
        self.clock = ManualClock()
        self.users = users or InMemoryUserRepository()
        self.tokens = tokens or InMemoryRefreshTokenRepository()
        self.uow = InMemoryUnitOfWork(self.users, self.tokens)
        self.hasher = hasher or cheap_hasher()
        self.access = JwtAccessTokens("unit-test-secret-" + "x" * 32, ACCESS_TTL)
        minter = TokenMinter(
            self.access, self.tokens, self.clock, AccountsPolicy(refresh_ttl_seconds=REFRESH_TTL)
        )
        self.register = Register(self.users, self.hasher, minter, self.uow, self.clock)
        self.login = Login(self.users, self.hasher, minter, self.uow)
        self.revoked = LocalRevokedFamilies(keep_seconds=ACCESS_TTL + 30)
        self.refresh = Refresh(self.users, self.tokens, minter, self.uow, self.clock, self.revoked)
        self.logout = Logout(self.tokens, self.uow, self.clock, self.revoked)
        # Authentication reads through the same cache as in production.
        self.user_cache = LocalUserCache(max_entries=100, ttl_seconds=3600)
        self.authenticate = Authenticate(
            self.access, self.users, self.user_cache, self.clock, self.revoked
        )
        self.list_users = ListUsers(self.users)
        self.update_user = UpdateUser(
            self.users, self.tokens, self.user_cache, self.uow, self.clock
        )
        self.create_admin = CreateAdmin(self.users, self.register, self.user_cache, self.uow)

    async def run(self, call: Awaitable[T]) -> T:
        """Awaits a use case; what it did not commit is lost, as when a request's session closes."""
        try:
            return await call
        finally:
            await self.uow.rollback()

    async def new_user(self, email: str = "minjun@example.com", name: str = "Minjun") -> TokenPair:
        return await self.run(self.register(email, PASSWORD, name))

    async def new_admin(self, email: str = "ops@example.com") -> User:
        return await self.run(self.create_admin(email, PASSWORD, "Ops"))
