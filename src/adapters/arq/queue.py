"""The job queue on Redis through arq.

Jobs are serialised as JSON, not arq's default pickle: payloads are plain data by contract,
and nothing read back from Redis should be able to run code in the worker.

Enqueueing writes what arq's ``enqueue_job`` writes (the job under ``arq:job:<id>`` with its
expiry, the id in the queue's sorted set, nothing when the job or its result exists), in one
Lua script: one round trip instead of arq's WATCH, EXISTS and MULTI/EXEC. The same script
announces a job due at once on ``wake_channel``, which wakes an idle worker
(``entrypoints/worker/wakeup.py``).
"""

from __future__ import annotations

from typing import Any

import msgspec
from arq.connections import ArqRedis
from arq.constants import expires_extra_ms, job_key_prefix, result_key_prefix
from arq.jobs import serialize_job as arq_serialize_job
from arq.utils import timestamp_ms
from redis.asyncio import Redis
from redis.exceptions import RedisError

from adapters.redis.scripts import RedisScripts
from mocheong_core.errors import ServiceUnavailable

# KEYS: job key, result key, queue. ARGV: expiry (ms), serialised job, score, job id, and
# the channel that wakes an idle worker ('' for a delayed job, which no worker should start).
ENQUEUE = """
if redis.call('exists', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('psetex', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[3], ARGV[3], ARGV[4])
if ARGV[5] ~= '' then redis.call('publish', ARGV[5], ARGV[4]) end
return 1
"""


def serialize_job(data: dict[str, Any]) -> bytes:
    return msgspec.json.encode(data)


def deserialize_job(raw: bytes) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.json.decode(raw)
    return data


def queue_name(redis_prefix: str) -> str:
    """The sorted set arq keeps the queue in. arq's own per-job keys (``arq:job:<id>``...) are
    not prefixed: job ids are UUIDs, so deployments sharing one Redis do not collide."""
    return f"{redis_prefix}arq:queue"


def wake_channel(queue: str) -> str:
    """The Redis channel a job due at once is announced on (``worker/wakeup.py``)."""
    return f"{queue}:queued"


def arq_client(redis: Redis, redis_prefix: str) -> ArqRedis:
    """An arq client on the connection pool of an existing Redis client (which owns it)."""
    return ArqRedis(
        redis.connection_pool,
        job_serializer=serialize_job,
        job_deserializer=deserialize_job,
        default_queue_name=queue_name(redis_prefix),
    )


class ArqJobQueue:
    def __init__(self, redis: ArqRedis, scripts: RedisScripts | None = None) -> None:
        self._redis = redis
        self._enqueue = (scripts or RedisScripts(redis)).register(ENQUEUE)

    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        """False when a job with this id is queued, running or has a kept result."""
        now_ms = timestamp_ms()
        delay_ms = round(delay_seconds * 1000)
        job = arq_serialize_job(
            task, (payload,), {}, None, now_ms, serializer=self._redis.job_serializer
        )
        queue = self._redis.default_queue_name
        keys = [job_key_prefix + job_id, result_key_prefix + job_id, queue]
        wake = "" if delay_ms > 0 else wake_channel(queue)
        try:
            added = await self._enqueue(
                keys=keys, args=[delay_ms + expires_extra_ms, job, now_ms + delay_ms, job_id, wake]
            )
        except RedisError as exc:
            raise ServiceUnavailable("The job queue is unavailable") from exc
        return bool(added)
