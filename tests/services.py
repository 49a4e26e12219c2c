"""The machine's PostgreSQL, Redis and NATS for integration tests: a fresh database per run.

A missing service fails the run with a message saying how to start it; tests never skip it.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import nats
import psycopg
import pytest
import redis

PG_ADMIN_DSN = os.environ.get("MOCHEONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_JWT_SECRET = "test-only-jwt-secret-of-at-least-32-characters"
"""The tests' access-token key: the product has no built-in one."""
REDIS_URL = os.environ.get("MOCHEONG_TEST_REDIS", "redis://127.0.0.1:6379/0")
NATS_URL = os.environ.get("MOCHEONG_TEST_NATS", "nats://127.0.0.1:4222")


def require_postgres() -> None:
    try:
        psycopg.connect(PG_ADMIN_DSN, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({exc}). Integration tests need it: "
            "start it (see docs/development.md) or point MOCHEONG_TEST_PG at one.",
            pytrace=False,
        )


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}). Integration tests need it: "
            "start it (see docs/development.md) or point MOCHEONG_TEST_REDIS at one.",
            pytrace=False,
        )


async def _nats_jetstream() -> None:
    client = await nats.connect(NATS_URL, connect_timeout=3, allow_reconnect=False)
    try:
        await client.jetstream().account_info()
    finally:
        await client.close()


async def require_nats() -> None:
    """Fails the run unless NATS with JetStream answers at ``NATS_URL``."""
    try:
        await asyncio.wait_for(_nats_jetstream(), 5)
    except Exception as exc:  # any failure means the service is not usable
        pytest.fail(
            f"NATS with JetStream is not reachable at {NATS_URL} ({exc!r}). Integration tests "
            "need it: start `nats-server -js` (see docs/brokers.md) or point MOCHEONG_TEST_NATS "
            "at one.",
            pytrace=False,
        )


async def delete_nats_streams(prefix: str) -> None:
    """Deletes the streams (key-value buckets included) a test made under ``prefix``."""
    client = await nats.connect(NATS_URL, connect_timeout=3, allow_reconnect=False)
    try:
        js = client.jetstream()
        for info in await js.streams_info():
            name = info.config.name or ""
            if name.removeprefix("KV_").startswith(f"{prefix.upper()}_"):
                await js.delete_stream(name)
    finally:
        await client.close()


def unique_nats_prefix() -> str:
    """A first subject token (and stream name stem) no other test run uses."""
    return f"mctest{uuid.uuid4().hex[:10]}"


def create_database() -> tuple[str, str]:
    """Creates an empty database; returns its name and its SQLAlchemy URL."""
    require_postgres()
    name = f"mocheong_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def unique_redis_prefix() -> str:
    return f"mctest:{uuid.uuid4().hex[:10]}:"
