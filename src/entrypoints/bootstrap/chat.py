"""dishka wiring of the chat context: repositories, use cases, the in-memory broker
of the embedded mode (Redis has its own wiring), this process's room hub and the sweeper.
The runner's model is the agent turn (``bootstrap/agents.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NewType

import structlog
from dishka import AsyncContainer, Provider, Scope, provide, provide_all
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from adapters.memory.session_cache import LocalSessionCache
from adapters.memory.stream import InMemoryStreamBroker
from adapters.redis.cache_peers import RedisCachePeers
from adapters.sqla.repos.chat import SqlaChatRepository
from adapters.sqla.repos.page_owners import SqlaPageOwners
from adapters.sqla.turns import BatchedTurnStore
from entrypoints.bootstrap.cache_peers import add_cache_peer_hooks
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.rooms import RoomHub
from entrypoints.runtime.sweeper import ChatSweeper
from mocheong_core.chat.access import ChatAccess
from mocheong_core.chat.ending import MessageEnder
from mocheong_core.chat.jobs import JobNotices
from mocheong_core.chat.model import room_of
from mocheong_core.chat.policy import ChatPolicy
from mocheong_core.chat.ports import (
    ChatRepository,
    PageAccess,
    SessionCache,
    StreamBroker,
    TurnStore,
)
from mocheong_core.chat.replay import ReplayRoom
from mocheong_core.chat.runner import RunTurn
from mocheong_core.chat.stream import EventDraft, EventKind
from mocheong_core.chat.sweeper import SweepTurns
from mocheong_core.chat.usecases import Cancel, ListMessages, OpenSession, Submit
from mocheong_core.jobs.ports import JobEvents
from mocheong_core.pages.model import Page
from mocheong_core.pages.ports import ChangedBy, PageEventListener

log = structlog.get_logger("mocheong.chat")


class ForgetSessionsOfDeletedPages:
    """Told of page changes: a deleted page's chat session is forgotten by every process."""

    def __init__(self, cache: SessionCache) -> None:
        self._cache = cache

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        """Neither a session nor its page's owner changes with the page."""

    async def page_deleted(self, page: Page, by: ChangedBy) -> None:
        await self._cache.forget(page.id)


class AnnouncePageChanges:
    """Told of page changes: each one reaches the page's room as ``page-updated {page_id,
    version, changed, by}``, whoever made it (the couple, an agent, an administrator)."""

    def __init__(self, broker: StreamBroker) -> None:
        self._broker = broker

    async def page_changed(
        self, page: Page, changed: list[str], by: ChangedBy, *, previous_slug: str | None
    ) -> None:
        data = {"page_id": page.id, "version": page.version, "changed": changed, "by": by}
        try:
            await self._broker.append(room_of(page.id), EventDraft(EventKind.PAGE_UPDATED, data))
        except Exception as exc:  # the change is stored; clients see it when they read the page
            log.warning("page_update_not_announced", page_id=page.id, error=repr(exc))

    async def page_deleted(self, page: Page, by: ChangedBy) -> None:
        """A deleted page's room has no one left to tell."""


class ChatProvider(Provider):
    @provide(scope=Scope.APP)
    def policy(self, settings: Settings) -> ChatPolicy:
        return ChatPolicy(
            max_message_chars=settings.chat.message_max_chars,
            submits_per_minute=settings.chat.rate_per_user,
            coalesce_seconds=settings.chat.coalesce_ms / 1000,
            lease_seconds=settings.chat.lease_seconds,
            pending_timeout_seconds=settings.chat.pending_timeout,
            max_attempts=settings.chat.max_attempts,
            model_history=settings.chat.model_history,
            snapshot_messages=settings.chat.snapshot_messages,
        )

    @provide(scope=Scope.APP)
    async def turns(
        self,
        settings: Settings,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
    ) -> AsyncIterator[TurnStore]:
        store = BatchedTurnStore(
            engine,
            sessions,
            settings.chat.submit_batch,
            writers=settings.chat.submit_writers,
            connect_timeout=settings.database.pool_timeout,
        )
        yield store
        await store.close()

    @provide(scope=Scope.APP)
    async def hub(self, settings: Settings, broker: StreamBroker) -> AsyncIterator[RoomHub]:
        hub = RoomHub(
            broker,
            queue_size=settings.chat.send_queue,
            linger_seconds=settings.chat.room_linger,
        )
        yield hub
        await hub.close()

    @provide(scope=Scope.APP)
    def sweeper(
        self, settings: Settings, policy: ChatPolicy, container: AsyncContainer
    ) -> ChatSweeper:
        return ChatSweeper(container, settings.chat.sweep_interval, policy.sweep_batch)

    forget_deleted_pages = provide(
        ForgetSessionsOfDeletedPages, scope=Scope.APP, provides=PageEventListener
    )
    announce_page_changes = provide(
        AnnouncePageChanges, scope=Scope.APP, provides=PageEventListener
    )
    job_notices = provide(JobNotices, scope=Scope.APP, provides=JobEvents)
    chats = provide(SqlaChatRepository, scope=Scope.REQUEST, provides=ChatRepository)
    pages = provide(SqlaPageOwners, scope=Scope.REQUEST, provides=PageAccess)
    usecases = provide_all(
        ChatAccess,
        MessageEnder,
        OpenSession,
        Submit,
        Cancel,
        ListMessages,
        ReplayRoom,
        RunTurn,
        SweepTurns,
        scope=Scope.REQUEST,
    )


class InMemoryStreamProvider(Provider):
    @provide(scope=Scope.APP)
    def broker(self, settings: Settings) -> StreamBroker:
        return InMemoryStreamBroker(
            retention=settings.chat.stream_maxlen, ttl_seconds=settings.chat.stream_ttl
        )


ChatSessionCachePeers = NewType("ChatSessionCachePeers", RedisCachePeers)


class LocalSessionCacheProvider(Provider):
    @provide(scope=Scope.APP, provides=SessionCache)
    def cache(self, settings: Settings) -> LocalSessionCache:
        return LocalSessionCache(
            settings.chat.session_cache_sessions, settings.chat.session_cache_seconds
        )


class RedisSessionCacheProvider(Provider):
    """The session cache, told of pages deleted through other processes over Redis pub/sub."""

    @provide(scope=Scope.APP)
    def peers(self, settings: Settings, redis: Redis) -> ChatSessionCachePeers:
        channel = f"{settings.broker.redis_prefix}chat-session-cache"
        return ChatSessionCachePeers(RedisCachePeers(redis, channel))

    @provide(scope=Scope.APP)
    def local(self, settings: Settings, peers: ChatSessionCachePeers) -> LocalSessionCache:
        return LocalSessionCache(
            settings.chat.session_cache_sessions, settings.chat.session_cache_seconds, peers
        )

    @provide(scope=Scope.APP)
    def cache(self, cache: LocalSessionCache) -> SessionCache:
        return cache


def chat_providers(settings: Settings) -> list[Provider]:
    if settings.broker.uses_redis:
        return [ChatProvider(), RedisSessionCacheProvider()]
    if settings.broker.uses_nats:
        return [ChatProvider()]  # the broker and session cache come from the NATS wiring
    return [ChatProvider(), LocalSessionCacheProvider(), InMemoryStreamProvider()]


def add_chat_hooks(hooks: LifecycleHooks, settings: Settings, container: AsyncContainer) -> None:
    """In the embedded mode the API process runs the chat jobs, so it also sweeps them; with
    Redis the worker does (see ``entrypoints.worker.app``), and the session cache hears the other
    processes."""
    if settings.broker.uses_redis:
        add_cache_peer_hooks(
            hooks, container, ChatSessionCachePeers, LocalSessionCache, "chat sessions"
        )
    if settings.broker.distributed:
        return

    async def start_chat_sweeper() -> None:
        await (await container.get(ChatSweeper)).start()

    async def stop_chat_sweeper() -> None:
        await (await container.get(ChatSweeper)).stop()

    hooks.on_start(start_chat_sweeper)
    hooks.on_stop(stop_chat_sweeper)
