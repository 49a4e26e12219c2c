"""dishka wiring of the public page: the page cache (and, with Redis, its
invalidations shared between processes), the background recorder of guests' openings, and
the start/stop hooks of the cache's subscription."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import AsyncContainer, Provider, Scope, provide
from redis.asyncio import Redis

from adapters.redis.cache_peers import RedisCachePeers
from entrypoints.bootstrap.cache_peers import add_cache_peer_hooks
from entrypoints.bootstrap.lifecycle import LifecycleHooks
from entrypoints.bootstrap.settings import Settings
from entrypoints.runtime.guest_opens import GuestOpens
from entrypoints.runtime.page_cache import PageCache
from entrypoints.runtime.share_images import ShareImageJobs
from mocheong_core.guests.links import GuestOfLink
from mocheong_core.guests.ports import AlbumEvents, GuestbookEvents
from mocheong_core.kernel.clock import Clock
from mocheong_core.pages.ports import PageEventListener


class PublicPageProvider(Provider):
    guest_of_link = provide(GuestOfLink, scope=Scope.REQUEST)

    @provide(scope=Scope.APP)
    async def guest_opens(self, container: AsyncContainer) -> AsyncIterator[GuestOpens]:
        opens = GuestOpens(container)
        yield opens
        await opens.close()

    @provide(scope=Scope.APP, provides=PageEventListener)
    def page_listener(self, cache: PageCache) -> PageCache:
        return cache

    share_image_jobs = provide(ShareImageJobs, scope=Scope.APP, provides=PageEventListener)

    @provide(scope=Scope.APP, provides=GuestbookEvents)
    def guestbook_listener(self, cache: PageCache) -> PageCache:
        return cache

    @provide(scope=Scope.APP, provides=AlbumEvents)
    def album_listener(self, cache: PageCache) -> PageCache:
        return cache


class LocalPageCacheProvider(Provider):
    @provide(scope=Scope.APP)
    def page_cache(self, settings: Settings, clock: Clock) -> PageCache:
        return PageCache(settings.public.cache_pages, clock)


class RedisPageCacheProvider(Provider):
    @provide(scope=Scope.APP)
    def peers(self, settings: Settings, redis: Redis) -> RedisCachePeers:
        return RedisCachePeers(redis, f"{settings.broker.redis_prefix}page-cache")

    @provide(scope=Scope.APP)
    def page_cache(self, settings: Settings, peers: RedisCachePeers, clock: Clock) -> PageCache:
        return PageCache(settings.public.cache_pages, clock, peers=peers)


def public_page_providers(settings: Settings) -> list[Provider]:
    if settings.broker.uses_nats:
        return [PublicPageProvider()]  # the page cache comes from the NATS wiring
    cache = RedisPageCacheProvider() if settings.broker.uses_redis else LocalPageCacheProvider()
    return [PublicPageProvider(), cache]


def add_public_page_hooks(
    hooks: LifecycleHooks, settings: Settings, container: AsyncContainer
) -> None:
    """With Redis, one subscription per process applies the other processes' invalidations."""
    if settings.broker.uses_redis:
        add_cache_peer_hooks(hooks, container, RedisCachePeers, PageCache, "pages")
