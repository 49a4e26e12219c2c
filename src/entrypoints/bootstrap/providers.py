"""The one place that assembles the dishka providers for the API, the worker and the CLI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from dishka import AsyncContainer, Provider, Scope, from_context, provide
from nats.aio.client import Client
from redis.asyncio import Redis
from redis.asyncio.connection import ConnectionPool, parse_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.memory.ratelimit import InMemoryRateLimiter
from adapters.memory.revoked_families import LocalRevokedFamilies
from adapters.memory.user_cache import LocalUserCache
from adapters.redis.breaker import GUARDED, shared_breaker
from adapters.redis.ratelimit import RedisRateLimiter
from adapters.redis.revocations import RedisRevocations
from adapters.redis.scripts import RedisScripts
from adapters.sqla.database import SqlaUnitOfWork, make_engine, make_session_factory, ping
from adapters.sqla.migrate import upgrade_async
from entrypoints.bootstrap.accounts import (
    AccountsProvider,
    RedisUserCacheProvider,
    UserCachePeers,
    revocation_keep_seconds,
)
from entrypoints.bootstrap.admin_console import AdminConsoleProvider
from entrypoints.bootstrap.agents import AgentsProvider
from entrypoints.bootstrap.cache_peers import add_cache_peer_hooks
from entrypoints.bootstrap.chat import add_chat_hooks, chat_providers
from entrypoints.bootstrap.files import files_providers
from entrypoints.bootstrap.jobs import add_job_hooks, jobs_providers
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.model_providers import model_providers
from entrypoints.bootstrap.nats import add_nats_hooks, nats_providers
from entrypoints.bootstrap.pages import PagesProvider
from entrypoints.bootstrap.payments import add_payments_hooks, payments_providers
from entrypoints.bootstrap.public import add_public_page_hooks, public_page_providers
from entrypoints.bootstrap.settings import Settings
from entrypoints.bootstrap.stream_redis import stream_redis_providers
from entrypoints.bootstrap.tracing import TracingProvider, tracing_on
from entrypoints.runtime.drain import Drain
from entrypoints.runtime.probes import Probe, ReadinessProbes
from mocheong_core.files.ports import ObjectStorage
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ratelimit import RateLimiter
from mocheong_core.kernel.uow import UnitOfWork


class SettingsProvider(Provider):
    settings = from_context(Settings, scope=Scope.APP)


class DatabaseProvider(Provider):
    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = make_engine(
            settings.effective_database_url,
            pool_size=settings.database.pool_size,
            max_overflow=settings.database.max_overflow,
            pool_timeout=settings.database.pool_timeout,
            pool_pre_ping=settings.database.pool_pre_ping,
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


def redis_options(settings: Settings) -> dict[str, Any]:
    """Every Redis client's timeouts and health check: a Redis that stops answering fails a
    command within ``REDIS_SOCKET_TIMEOUT`` instead of holding it (quality target R6)."""
    return {
        "socket_timeout": settings.broker.redis_socket_timeout,
        "socket_connect_timeout": settings.broker.redis_connect_timeout,
        "socket_keepalive": True,
        "health_check_interval": settings.broker.redis_health_check_interval,
    }


def redis_pool(settings: Settings) -> ConnectionPool:
    """A pool of connections with :func:`redis_options` that share this process's breaker
    for the Redis: once a command timed out, the others fail at once (503) until Redis
    answers again, instead of each waiting ``REDIS_SOCKET_TIMEOUT``."""
    url = settings.broker.redis_url
    options = {**redis_options(settings), **parse_url(url)}
    scheme = url.partition("://")[0]
    return ConnectionPool(
        **options,
        connection_class=GUARDED[scheme],
        breaker=shared_breaker(url, settings.broker.redis_breaker_cooldown),
    )


class RedisProvider(Provider):
    @provide(scope=Scope.APP)
    async def redis(self, settings: Settings) -> AsyncIterator[Redis]:
        client = Redis.from_pool(redis_pool(settings))
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
            redis, prefix=f"{settings.broker.redis_prefix}rl:", clock=clock, scripts=scripts
        )


class InMemoryProvider(Provider):
    @provide(scope=Scope.APP)
    def rate_limiter(self, clock: Clock) -> RateLimiter:
        return InMemoryRateLimiter(clock)

    @provide(scope=Scope.APP)
    def user_cache(self, settings: Settings) -> LocalUserCache:
        return LocalUserCache(settings.auth.cache_users, settings.auth.cache_seconds)

    @provide(scope=Scope.APP)
    def revoked(self, settings: Settings) -> LocalRevokedFamilies:
        return LocalRevokedFamilies(revocation_keep_seconds(settings))


def build_providers(settings: Settings) -> list[Provider]:
    """Every production provider, chosen by the settings (Redis or in-memory twins)."""
    providers: list[Provider] = [
        SettingsProvider(),
        DatabaseProvider(),
        AccountsProvider(),
        ProcessProvider(),
    ]
    if settings.broker.uses_redis:
        providers += [RedisProvider(), RedisUserCacheProvider()]
    elif settings.broker.uses_nats:
        providers.extend(nats_providers(settings))
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
    providers.extend(payments_providers(settings))
    providers.append(AdminConsoleProvider())
    if tracing_on(settings):
        providers.append(TracingProvider())
    return providers


class ProcessProvider(Provider):
    """Readiness probes, the drain of an API process and start/stop hooks, chosen by the
    settings."""

    drain = provide(Drain, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def probes(
        self, settings: Settings, engine: AsyncEngine, container: AsyncContainer
    ) -> ReadinessProbes:
        # Each probe resolves what it checks when it runs: a ``container.get`` inside this
        # factory would wait forever on the APP container's lock that this resolution holds.
        async def redis_ping() -> None:
            await (await container.get(Redis)).ping()

        async def nats_ping() -> None:
            await (await container.get(Client)).flush(timeout=2)

        async def storage_ping() -> None:
            await (await container.get(ObjectStorage)).ping()

        checks: dict[str, Probe] = {"database": lambda: ping(engine), "storage": storage_ping}
        if settings.broker.uses_redis:
            checks["redis"] = redis_ping
        if settings.broker.uses_nats:
            checks["nats"] = nats_ping
        return ReadinessProbes(checks)

    @provide(scope=Scope.APP)
    def hooks(self, settings: Settings, container: AsyncContainer) -> LifecycleHooks:
        hooks = LifecycleHooks()
        if settings.uses_sqlite:
            # The embedded mode needs no separate step: the schema is brought up to date here.
            async def migrate() -> None:
                settings.app.data_dir.mkdir(parents=True, exist_ok=True)
                await upgrade_async(settings.effective_database_url)

            hooks.on_start(migrate)
        add_job_hooks(hooks, settings, container)
        add_public_page_hooks(hooks, settings, container)
        if settings.broker.uses_redis:
            add_cache_peer_hooks(hooks, container, UserCachePeers, LocalUserCache, "users")
            add_cache_peer_hooks(
                hooks, container, RedisRevocations, LocalRevokedFamilies, "revocations"
            )
        add_chat_hooks(hooks, settings, container)
        add_nats_hooks(hooks, settings, container)
        add_payments_hooks(hooks, settings, container)
        return hooks
