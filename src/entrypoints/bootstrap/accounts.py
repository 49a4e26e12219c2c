"""dishka wiring of the accounts context: hashing, tokens, the per-process user cache and the
revoked sign-ins (and, with Redis, their peers), the user sockets they tell of changes,
repositories and use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NewType

from dishka import Provider, Scope, provide, provide_all
from redis.asyncio import Redis

from adapters.memory.revoked_families import LocalRevokedFamilies
from adapters.memory.user_cache import LocalUserCache
from adapters.redis.cache_peers import RedisCachePeers
from adapters.redis.revocations import RedisRevocations
from adapters.security.jwt_tokens import CLOCK_SKEW, JwtAccessTokens
from adapters.security.passwords import Argon2PasswordHasher
from adapters.sqla.repos.accounts import SqlaRefreshTokenRepository, SqlaUserRepository
from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.user_sockets import UserSockets
from mocheong_core.accounts.ports import (
    AccessTokens,
    PasswordHasher,
    RefreshTokenRepository,
    RevokedFamilies,
    UserCache,
    UserRepository,
)
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
from mocheong_core.kernel.clock import Clock, SystemClock

UserCachePeers = NewType("UserCachePeers", RedisCachePeers)


def revocation_keep_seconds(settings: Settings) -> float:
    """How long a revoked sign-in is remembered: as long as its last access token can live."""
    return settings.auth.access_token_ttl + CLOCK_SKEW.total_seconds()


class RedisUserCacheProvider(Provider):
    """The user cache, told of changes made in other processes over Redis pub/sub."""

    @provide(scope=Scope.APP)
    def peers(self, settings: Settings, redis: Redis) -> UserCachePeers:
        return UserCachePeers(RedisCachePeers(redis, f"{settings.broker.redis_prefix}user-cache"))

    @provide(scope=Scope.APP)
    def local(self, settings: Settings, peers: UserCachePeers) -> LocalUserCache:
        return LocalUserCache(settings.auth.cache_users, settings.auth.cache_seconds, peers)

    @provide(scope=Scope.APP)
    def revocations(self, settings: Settings, redis: Redis) -> RedisRevocations:
        return RedisRevocations(
            redis,
            f"{settings.broker.redis_prefix}revoked-families",
            revocation_keep_seconds(settings),
        )

    @provide(scope=Scope.APP)
    def revoked(self, settings: Settings, peers: RedisRevocations) -> LocalRevokedFamilies:
        return LocalRevokedFamilies(revocation_keep_seconds(settings), peers)


class AccountsProvider(Provider):
    clock = provide(SystemClock, scope=Scope.APP, provides=Clock)

    @provide(scope=Scope.APP)
    def hasher(self) -> PasswordHasher:
        return Argon2PasswordHasher()

    @provide(scope=Scope.APP)
    def access_tokens(self, settings: Settings) -> AccessTokens:
        return JwtAccessTokens(settings.auth.jwt_secret, settings.auth.access_token_ttl)

    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> AccountsPolicy:
        return AccountsPolicy(refresh_ttl_seconds=settings.auth.refresh_token_ttl)

    @provide(scope=Scope.APP)
    def user_cache(self, cache: LocalUserCache) -> UserCache:
        return cache

    @provide(scope=Scope.APP)
    def revoked_families(self, revoked: LocalRevokedFamilies) -> RevokedFamilies:
        return revoked

    @provide(scope=Scope.APP)
    async def user_sockets(
        self, cache: LocalUserCache, revoked: LocalRevokedFamilies
    ) -> AsyncIterator[UserSockets]:
        sockets = UserSockets()
        cache.on_drop(sockets.changed)
        revoked.on_revoke(sockets.changed)
        yield sockets
        await sockets.close()

    users = provide(SqlaUserRepository, scope=Scope.REQUEST, provides=UserRepository)
    refresh_tokens = provide(
        SqlaRefreshTokenRepository, scope=Scope.REQUEST, provides=RefreshTokenRepository
    )
    usecases = provide_all(
        TokenMinter,
        Register,
        Login,
        Refresh,
        Logout,
        Authenticate,
        ListUsers,
        UpdateUser,
        CreateAdmin,
        scope=Scope.REQUEST,
    )
