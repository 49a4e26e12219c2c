"""The one place that assembles the dishka providers for the API, the worker and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NewType

from dishka import AsyncContainer, Provider, Scope, from_context, provide, provide_all
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.memory.user_cache import LocalUserCache
from adapters.redis.cache_peers import RedisCachePeers
from adapters.redis.ratelimit import RedisRateLimiter
from adapters.redis.scripts import RedisScripts
from adapters.security.jwt_tokens import JwtAccessTokens
from adapters.security.passwords import Argon2PasswordHasher
from adapters.sqla.database import SqlaUnitOfWork, make_engine, make_session_factory, ping
from adapters.sqla.migrate import upgrade_async
from adapters.sqla.repos.accounts import SqlaRefreshTokenRepository, SqlaUserRepository
from entrypoints.http.system import Probe, ReadinessProbes
from entrypoints.lifecycle import LifecycleHooks
from entrypoints.settings import Settings
from entrypoints.user_sockets import UserSockets
from entrypoints.wiring_agents import AgentsProvider
from entrypoints.wiring_cache import add_cache_peer_hooks
from entrypoints.wiring_chat import add_chat_hooks, chat_providers
from entrypoints.wiring_files import files_providers
from entrypoints.wiring_jobs import add_job_hooks, jobs_providers
from entrypoints.wiring_model_providers import model_providers
from entrypoints.wiring_pages import PagesProvider
from entrypoints.wiring_public import add_public_page_hooks, public_page_providers
from entrypoints.wiring_stream_redis import stream_redis_providers
from mocheong_core.accounts.ports import (
    AccessTokens,
    PasswordHasher,
    RefreshTokenRepository,
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
from mocheong_core.files.ports import ObjectStorage
from mocheong_core.ratelimit import RateLimiter
from mocheong_core.shared import Clock, SystemClock, UnitOfWork


class SettingsProvider(Provider):
    settings = from_context(Settings, scope=Scope.APP)


class DatabaseProvider(Provider):
    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = make_engine(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            pool_pre_ping=settings.db_pool_pre_ping,
        )
        yield engine
        await engine.dispose()

    @provide(scope=Scope.APP)
    def session_factory(self, engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
        return make_session_factory(engine)

    @provide(scope=Scope.REQUEST)
    async def session(
        self, factory: async_sessionmaker[AsyncSession]
    ) -> AsyncIterator[AsyncSession]:
        # Use cases commit explicitly; whatever they did not commit rolls back here. A session
        # that never began a transaction holds no connection: there is nothing to close (most
        # requests of a cached user and page never touch the database).
        session = factory()
        try:
            yield session
        finally:
            if session.in_transaction() or session.identity_map:
                await session.close()

    uow = provide(SqlaUnitOfWork, scope=Scope.REQUEST, provides=UnitOfWork)


class RedisProvider(Provider):
    @provide(scope=Scope.APP)
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = Redis.from_url(settings.redis_url, health_check_interval=10)
        yield client
        await client.aclose()

    @provide(scope=Scope.APP)
    def scripts(self, redis: Redis) -> RedisScripts:
        """One per process: the script calls of the rate limiter, the stream broker and the
        job queue share round trips."""
        return RedisScripts(redis)

    @provide(scope=Scope.APP)
    def rate_limiter(
        self, settings: Settings, redis: Redis, clock: Clock, scripts: RedisScripts
    ) -> RateLimiter:
        return RedisRateLimiter(
            redis, prefix=f"{settings.redis_prefix}rl:", clock=clock, scripts=scripts
        )


class InMemoryProvider(Provider):
    @provide(scope=Scope.APP)
    def rate_limiter(self, clock: Clock) -> RateLimiter:
        return InMemoryRateLimiter(clock)

    @provide(scope=Scope.APP)
    def user_cache(self, settings: Settings) -> LocalUserCache:
        return LocalUserCache(settings.auth_cache_users, settings.auth_cache_seconds)


UserCachePeers = NewType("UserCachePeers", RedisCachePeers)


class RedisUserCacheProvider(Provider):
    """The user cache, told of changes made in other processes over Redis pub/sub."""

    @provide(scope=Scope.APP)
    def peers(self, settings: Settings, redis: Redis) -> UserCachePeers:
        return UserCachePeers(RedisCachePeers(redis, f"{settings.redis_prefix}user-cache"))

    @provide(scope=Scope.APP)
    def local(self, settings: Settings, peers: UserCachePeers) -> LocalUserCache:
        return LocalUserCache(settings.auth_cache_users, settings.auth_cache_seconds, peers)


class AccountsProvider(Provider):
    clock = provide(SystemClock, scope=Scope.APP, provides=Clock)

    @provide(scope=Scope.APP)
    def hasher(self) -> PasswordHasher:
        return Argon2PasswordHasher()

    @provide(scope=Scope.APP)
    def access_tokens(self, settings: Settings) -> AccessTokens:
        return JwtAccessTokens(settings.jwt_secret, settings.access_token_ttl)

    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> AccountsPolicy:
        return AccountsPolicy(refresh_ttl_seconds=settings.refresh_token_ttl)

    @provide(scope=Scope.APP)
    def user_cache(self, cache: LocalUserCache) -> UserCache:
        return cache

    @provide(scope=Scope.APP)
    async def user_sockets(self, cache: LocalUserCache) -> AsyncIterator[UserSockets]:
        sockets = UserSockets()
        cache.on_drop(sockets.changed)
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


def build_providers(settings: Settings) -> list[Provider]:
    """Every production provider, chosen by the settings (Redis or in-memory twins)."""
    providers: list[Provider] = [
        SettingsProvider(),
        DatabaseProvider(),
        AccountsProvider(),
        ProcessProvider(),
    ]
    if settings.uses_redis:
        providers += [RedisProvider(), RedisUserCacheProvider()]
    else:
        providers.append(InMemoryProvider())
    providers.extend(jobs_providers(settings))
    providers.extend(files_providers(settings))
    providers.append(PagesProvider())
    providers.extend(public_page_providers(settings))
    providers.extend(stream_redis_providers(settings))
    providers.extend(chat_providers(settings))
    providers.append(AgentsProvider())
    providers.extend(model_providers(settings))
    return providers


class ProcessProvider(Provider):
    """Readiness probes and start/stop hooks, chosen by the settings."""

    @provide(scope=Scope.APP)
    def probes(
        self, settings: Settings, engine: AsyncEngine, container: AsyncContainer
    ) -> ReadinessProbes:
        # Each probe resolves what it checks when it runs: a ``container.get`` inside this
        # factory would wait forever on the APP container's lock that this resolution holds.
        async def redis_ping() -> None:
            await (await container.get(Redis)).ping()

        async def storage_ping() -> None:
            await (await container.get(ObjectStorage)).ping()

        checks: dict[str, Probe] = {"database": lambda: ping(engine), "storage": storage_ping}
        if settings.uses_redis:
            checks["redis"] = redis_ping
        return ReadinessProbes(checks)

    @provide(scope=Scope.APP)
    def hooks(self, settings: Settings, container: AsyncContainer) -> LifecycleHooks:
        hooks = LifecycleHooks()
        if settings.uses_sqlite:
            # The embedded mode needs no separate step: the schema is brought up to date here.
            async def migrate() -> None:
                settings.data_dir.mkdir(parents=True, exist_ok=True)
                await upgrade_async(settings.effective_database_url)

            hooks.on_start(migrate)
        add_job_hooks(hooks, settings, container)
        add_public_page_hooks(hooks, settings, container)
        if settings.uses_redis:
            add_cache_peer_hooks(hooks, container, UserCachePeers, LocalUserCache, "users")
        add_chat_hooks(hooks, settings, container)
        return hooks
