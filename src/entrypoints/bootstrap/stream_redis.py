"""dishka wiring of chat streaming on Redis: the broker, and the process's one room dispatcher.

The dispatcher is APP-scoped and opens its pub/sub connection only when something first
listens (a worker process that only appends never opens one); the container's close stops it.
Without Redis the chat wiring binds the in-memory broker instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide
from redis.asyncio import Redis

from adapters.redis.dispatcher import RedisRoomDispatcher
from adapters.redis.scripts import RedisScripts
from adapters.redis.stream import RedisStreamBroker
from entrypoints.bootstrap.settings import Settings
from mocheong_core.chat.ports import StreamBroker


class RedisStreamProvider(Provider):
    @provide(scope=Scope.APP)
    async def dispatcher(
        self, settings: Settings, redis: Redis
    ) -> AsyncIterator[RedisRoomDispatcher]:
        dispatcher = RedisRoomDispatcher(
            redis,
            prefix=settings.broker.redis_prefix,
            ttl_seconds=settings.chat.stream_ttl,
            ping_interval=settings.chat.pubsub_ping_interval,
            queue_size=settings.chat.listener_queue,
        )
        yield dispatcher
        await dispatcher.aclose()

    @provide(scope=Scope.APP)
    def broker(
        self,
        settings: Settings,
        redis: Redis,
        dispatcher: RedisRoomDispatcher,
        scripts: RedisScripts,
    ) -> StreamBroker:
        return RedisStreamBroker(
            redis,
            dispatcher,
            prefix=settings.broker.redis_prefix,
            ttl_seconds=settings.chat.stream_ttl,
            maxlen=settings.chat.stream_maxlen,
            scripts=scripts,
        )


def stream_redis_providers(settings: Settings) -> list[Provider]:
    return [RedisStreamProvider()] if settings.broker.uses_redis else []
