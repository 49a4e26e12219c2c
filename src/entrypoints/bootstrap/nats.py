"""dishka wiring of a NATS deployment (``MOCHEONG_BROKER=nats``): the process's one NATS
connection, chat streams and the job queue on JetStream, the caches whose invalidations
travel over core NATS, the ended sign-ins every process hears of at once (kept in a stream for
a process that joins later), and the rate limiter whose counters every process shares in a
JetStream key-value bucket. Nothing here needs Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, NewType, TypeVar

from dishka import AsyncContainer, Provider, Scope, provide
from nats.aio.client import Client

from adapters.memory.revoked_families import LocalRevokedFamilies
from adapters.memory.session_cache import LocalSessionCache
from adapters.memory.user_cache import LocalUserCache
from adapters.nats.cache_peers import NatsCachePeers
from adapters.nats.connection import ConnectionEvents, NatsNames, connect_nats
from adapters.nats.queue import NatsJobQueue, NatsJobWorker
from adapters.nats.ratelimit import NatsRateLimiter
from adapters.nats.revocations import NatsRevocations
from adapters.nats.stream import NatsStreamBroker
from entrypoints.bootstrap.accounts import revocation_keep_seconds
from entrypoints.bootstrap.cache_peers import add_cache_peer_hooks
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.page_cache import PageCache
from entrypoints.runtime.tasks import run_task
from mocheong_core.chat.ports import SessionCache, StreamBroker
from mocheong_core.jobs.ports import JobQueue
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ratelimit import RateLimiter

UserPeers = NewType("UserPeers", NatsCachePeers)
PagePeers = NewType("PagePeers", NatsCachePeers)
SessionPeers = NewType("SessionPeers", NatsCachePeers)


class NatsProvider(Provider):
    @provide(scope=Scope.APP)
    def events(self) -> ConnectionEvents:
        return ConnectionEvents()

    @provide(scope=Scope.APP)
    async def client(self, settings: Settings, events: ConnectionEvents) -> AsyncIterator[Client]:
        client = await connect_nats(
            settings.broker.nats_url,
            name=f"mocheong-{settings.broker.nats_prefix}",
            credentials=settings.broker.nats_credentials,
            tls_ca=settings.broker.nats_tls_ca,
            events=events,
        )
        yield client
        await client.close()

    @provide(scope=Scope.APP)
    async def nats_broker(
        self, settings: Settings, client: Client, events: ConnectionEvents
    ) -> AsyncIterator[NatsStreamBroker]:
        broker = NatsStreamBroker(
            client,
            prefix=settings.broker.nats_prefix,
            ttl_seconds=settings.chat.stream_ttl,
            heartbeat=settings.chat.pubsub_ping_interval,
            queue_size=settings.chat.listener_queue,
            span=settings.broker.nats_history_span,
        )
        events.on_reconnect.append(broker.reconnected)
        yield broker
        await broker.aclose()

    @provide(scope=Scope.APP)
    def broker(self, broker: NatsStreamBroker) -> StreamBroker:
        return broker

    @provide(scope=Scope.APP)
    def queue(self, settings: Settings, client: Client) -> JobQueue:
        return NatsJobQueue(
            client,
            prefix=settings.broker.nats_prefix,
            dedup_seconds=settings.broker.nats_job_dedup_seconds,
        )

    @provide(scope=Scope.APP)
    def worker(
        self, settings: Settings, client: Client, container: AsyncContainer
    ) -> NatsJobWorker:
        async def runner(name: str, payload: dict[str, Any]) -> None:
            await run_task(container, name, payload)

        return NatsJobWorker(
            client,
            runner,
            prefix=settings.broker.nats_prefix,
            dedup_seconds=settings.broker.nats_job_dedup_seconds,
            max_jobs=settings.jobs.max_concurrency,
            timeout=settings.jobs.timeout,
            max_tries=settings.jobs.max_tries,
            backoff=settings.broker.nats_job_backoff,
            grace=settings.jobs.shutdown_grace,
        )

    @provide(scope=Scope.APP)
    def rate_limiter(self, settings: Settings, client: Client, clock: Clock) -> RateLimiter:
        broker = settings.broker
        return NatsRateLimiter(
            client,
            bucket=broker.nats_rate_limit_bucket or NatsNames(broker.nats_prefix).rate_limits,
            ttl_seconds=broker.nats_rate_limit_ttl,
            max_tries=broker.nats_rate_limit_tries,
            clock=clock,
        )

    def _peers(
        self, settings: Settings, client: Client, events: ConnectionEvents, name: str
    ) -> NatsCachePeers:
        return _follow(
            events, NatsCachePeers(client, NatsNames(settings.broker.nats_prefix).cache(name))
        )

    @provide(scope=Scope.APP)
    def user_peers(self, settings: Settings, client: Client, events: ConnectionEvents) -> UserPeers:
        return UserPeers(self._peers(settings, client, events, "user-cache"))

    @provide(scope=Scope.APP)
    def page_peers(self, settings: Settings, client: Client, events: ConnectionEvents) -> PagePeers:
        return PagePeers(self._peers(settings, client, events, "page-cache"))

    @provide(scope=Scope.APP)
    def session_peers(
        self, settings: Settings, client: Client, events: ConnectionEvents
    ) -> SessionPeers:
        return SessionPeers(self._peers(settings, client, events, "chat-session-cache"))

    @provide(scope=Scope.APP)
    def user_cache(self, settings: Settings, peers: UserPeers) -> LocalUserCache:
        return LocalUserCache(settings.auth.cache_users, settings.auth.cache_seconds, peers)

    @provide(scope=Scope.APP)
    def revocations(
        self, settings: Settings, client: Client, events: ConnectionEvents
    ) -> NatsRevocations:
        names = NatsNames(settings.broker.nats_prefix)
        return _follow(events, NatsRevocations(client, names, revocation_keep_seconds(settings)))

    @provide(scope=Scope.APP)
    def revoked(self, settings: Settings, peers: NatsRevocations) -> LocalRevokedFamilies:
        return LocalRevokedFamilies(revocation_keep_seconds(settings), peers)

    @provide(scope=Scope.APP)
    def page_cache(self, settings: Settings, peers: PagePeers, clock: Clock) -> PageCache:
        return PageCache(settings.public.cache_pages, clock, peers=peers)

    @provide(scope=Scope.APP)
    def local_sessions(self, settings: Settings, peers: SessionPeers) -> LocalSessionCache:
        return LocalSessionCache(
            settings.chat.session_cache_sessions, settings.chat.session_cache_seconds, peers
        )

    @provide(scope=Scope.APP)
    def sessions(self, cache: LocalSessionCache) -> SessionCache:
        return cache


_Peers = TypeVar("_Peers", bound=NatsCachePeers)


def _follow(events: ConnectionEvents, peers: _Peers) -> _Peers:
    """``peers`` told when the connection drops (announcements may be missed) and is back."""
    events.on_disconnect.append(peers.disconnected)
    events.on_reconnect.append(peers.reconnected)
    return peers


async def run_nats_jobs(container: AsyncContainer, stop: asyncio.Event) -> None:
    """Runs the queued jobs until ``stop`` is set (the worker process on NATS)."""
    await (await container.get(NatsJobWorker)).run(stop)


def nats_providers(settings: Settings) -> list[Provider]:
    return [NatsProvider()] if settings.broker.uses_nats else []


def add_nats_hooks(hooks: LifecycleHooks, settings: Settings, container: AsyncContainer) -> None:
    """Each process hears the other processes' cache invalidations and ended sign-ins."""
    if not settings.broker.uses_nats:
        return
    add_cache_peer_hooks(hooks, container, UserPeers, LocalUserCache, "users")
    add_cache_peer_hooks(hooks, container, PagePeers, PageCache, "pages")
    add_cache_peer_hooks(hooks, container, SessionPeers, LocalSessionCache, "chat sessions")
    add_cache_peer_hooks(hooks, container, NatsRevocations, LocalRevokedFamilies, "revocations")
