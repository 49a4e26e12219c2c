"""The job queue on Redis through arq.

Jobs are serialised as JSON, not arq's default pickle: payloads are plain data by contract,
and nothing read back from Redis should be able to run code in the worker.
"""

from __future__ import annotations

from typing import Any

import msgspec
from arq.connections import ArqRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from mocheong_core.errors import ServiceUnavailable


def serialize_job(data: dict[str, Any]) -> bytes:
    return msgspec.json.encode(data)


def deserialize_job(raw: bytes) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.json.decode(raw)
    return data


def queue_name(redis_prefix: str) -> str:
    """The sorted set arq keeps the queue in. arq's own per-job keys (``arq:job:<id>``...) are
    not prefixed: job ids are UUIDs, so deployments sharing one Redis do not collide."""
    return f"{redis_prefix}arq:queue"


def arq_client(redis: Redis, redis_prefix: str) -> ArqRedis:
    """An arq client on the connection pool of an existing Redis client (which owns it)."""
    return ArqRedis(
        redis.connection_pool,
        job_serializer=serialize_job,
        job_deserializer=deserialize_job,
        default_queue_name=queue_name(redis_prefix),
    )


class ArqJobQueue:
    def __init__(self, redis: ArqRedis) -> None:
        self._redis = redis

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        try:
            # arq answers None when a job with this id is queued, running or has a kept result.
            job = await self._redis.enqueue_job(
                task, payload, _job_id=job_id, _defer_by=delay_seconds or None
            )
        except RedisError as exc:
            raise ServiceUnavailable("The job queue is unavailable") from exc
        return job is not None
