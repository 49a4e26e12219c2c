"""The processes of one chat benchmark or chaos run, owned by the run and removed after it.

A private ``redis-server`` on a free port (no persistence: restarting it is losing its data);
with ``broker="nats"`` also a private ``nats-server -js`` (its own port and ``-sd`` store),
which the product's processes then use instead of Redis (``MOCHEONG_BROKER=nats``, no
``MOCHEONG_REDIS_URL``; the Redis stays for the bare baseline app). A fresh PostgreSQL
database (on the machine's server, or with ``private_postgres`` on a server of the run's own,
which it may stop and start), API processes (``mocheong serve``, one process each so one can
be killed alone) and workers (``mocheong worker``). Each process leads its own process group,
so SIGKILL takes its children with it. Logs go to files under the run's folder. ``server``
picks the ASGI server of the API processes (``MOCHEONG_SERVER``) and of the bare baseline app.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Collection
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import IO, Any

import httpx
import nats
import psycopg
import redis
from chat_report import BROKERS
from nats.errors import Error as NatsError
from nats.js.errors import Error as JetStreamError

from entrypoints.bootstrap.settings import DEFAULT_SERVER
from mocheong_core.chat.ports import StreamBroker

PG_ADMIN_DSN = os.environ.get("MOCHEONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CLI = [sys.executable, "-m", "entrypoints.cli"]
BENCH = Path(__file__).resolve().parent


def _die_with_parent() -> None:
    """In the child before exec: Linux kills it when the run's process dies, even by SIGKILL,
    so a run that is killed leaves no server behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Process:
    def __init__(self, name: str, args: list[str], env: dict[str, str], folder: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_path = folder / f"{name}.log"
        self._log: IO[bytes] | None = None
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.args,
            env=self.env,
            cwd=self.log_path.parent,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.popen is not None and self.alive:
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL to the whole group: no shutdown hook runs, as in a crash."""
        self.signal(signal.SIGKILL)
        self.wait(10)

    def stop(self, timeout: float = 15) -> None:
        if self.alive:
            self.signal(signal.SIGTERM)
            if not self.wait(timeout):
                self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None

    def rss_bytes(self) -> int:
        """Resident memory of the process and its children (its whole group), in bytes."""
        return sum(int(fields[21]) for fields in self._group_stats()) * os.sysconf("SC_PAGE_SIZE")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process and its children have used so far."""
        ticks = sum(int(fields[11]) + int(fields[12]) for fields in self._group_stats())
        return ticks / os.sysconf("SC_CLK_TCK")

    def _group_stats(self) -> list[list[str]]:
        """The /proc stat fields after the command name (state, ppid, pgrp, …) of every
        process in this one's group."""
        if self.popen is None or not self.alive:
            return []
        stats = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.popen.pid:
                stats.append(fields)
        return stats

    def wait(self, timeout: float) -> bool:
        if self.popen is None:
            return True
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True


class Stack:
    def __init__(
        self,
        *,
        apis: int = 1,
        workers: int = 1,
        env: dict[str, str] | None = None,
        folder: Path | None = None,
        keep: bool = False,
        api_workers: int = 1,
        server: str = DEFAULT_SERVER,
        private_postgres: bool = False,
        broker: str = "redis",
    ) -> None:
        if broker not in BROKERS:
            raise ValueError(f"unknown broker {broker!r}: one of {', '.join(BROKERS)}")
        self.folder = folder or Path(tempfile.mkdtemp(prefix="mocheong-run-"))
        self.folder.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self.server = server
        self.broker = broker
        self.nats = PrivateNats(self.folder) if broker == "nats" else None
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.db_name = f"mocheong_run_{uuid.uuid4().hex[:10]}"
        self.postgres = PrivatePostgres(self.folder) if private_postgres else None
        self.pg_admin_dsn = self.postgres.admin_dsn if self.postgres else PG_ADMIN_DSN
        base = self.pg_admin_dsn.rsplit("/", 1)[0]
        base = base.replace("postgresql://", "postgresql+psycopg://", 1)
        self.database_url = f"{base}/{self.db_name}"
        self._extra_env = env or {}
        self._redis: Process | None = None
        self.apis: list[Process] = []
        self.api_ports: list[int] = []
        self.workers: list[Process] = []
        self._api_count, self._worker_count = apis, workers
        self.api_workers = api_workers
        """Server worker processes behind each API port (``mocheong serve --workers``)."""
        self._db_created = False
        self.bare: Process | None = None

    # -- life cycle -------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        # A run stopped with SIGTERM (a timeout, nox) still removes what it started.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        self.start_redis()
        if self.nats is not None:
            self.nats.start()
        if self.postgres is not None:
            self.postgres.start()
        self._create_database()
        for _ in range(self._api_count):
            self.add_api()
        for _ in range(self._worker_count):
            self.add_worker()
        self.wait_ready()

    def stop(self) -> None:
        for process in [*self.workers, *self.apis, *([self.bare] if self.bare else [])]:
            process.stop()
        if self._redis is not None:
            self._redis.stop(5)
        if self.nats is not None:
            self.nats.remove()
        if self.postgres is not None:
            self.postgres.remove()
        elif self._db_created:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        self._db_created = False
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- pieces ------------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        values = {
            key: value for key, value in os.environ.items() if not key.startswith("MOCHEONG_")
        }
        values.update(
            {
                "MOCHEONG_ENV": "test",
                "MOCHEONG_REDIS_URL": self.redis_url,
                "MOCHEONG_DATABASE_URL": self.database_url,
                "MOCHEONG_DATA_DIR": str(self.folder / "data"),
                "MOCHEONG_LOG_LEVEL": "WARNING",
                "MOCHEONG_SERVER": self.server,
                "MOCHEONG_RATE_LOGIN_PER_IP": "1000000",
                "MOCHEONG_RATE_LOGIN_PER_ACCOUNT": "1000000",
                "MOCHEONG_RATE_REGISTER_PER_IP": "1000000",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if self.nats is not None:
            del values["MOCHEONG_REDIS_URL"]  # nothing of the product may need Redis then
            values["MOCHEONG_BROKER"] = "nats"
            values["MOCHEONG_NATS_URL"] = self.nats.url
        values.update(self._extra_env)
        values.update(extra)
        return values

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed: the run needs its own Redis")
        args = [
            binary,
            "--port",
            str(self.redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ]
        self._redis = Process("redis", args, os.environ.copy(), self.folder)
        self._redis.start()
        _until(lambda: _redis_ping(self.redis_url), 10, "the private redis-server did not start")

    def restart_redis_empty(self) -> None:
        """A Redis crash and restart without persistence: every key and connection is gone."""
        assert self._redis is not None
        self._redis.kill()
        self._redis.start()
        _until(lambda: _redis_ping(self.redis_url), 10, "the private redis-server did not restart")

    def signal_redis(self, sig: int) -> None:
        """SIGSTOP freezes the private Redis (its sockets stay open, nothing answers);
        SIGCONT wakes it with its data."""
        assert self._redis is not None
        self._redis.signal(sig)

    def restart_broker(self, *, keep_data: bool = False) -> None:
        """The broker the processes use killed and started again: Redis always empty; NATS
        with its store wiped or, with ``keep_data``, recovering it from disk."""
        if self.nats is None:
            self.restart_redis_empty()
        else:
            self.nats.restart(keep_data=keep_data)

    def signal_broker(self, sig: int) -> None:
        """SIGSTOP / SIGCONT to the broker the processes use."""
        if self.nats is None:
            self.signal_redis(sig)
        else:
            self.nats.signal(sig)

    def redis_client(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def _create_database(self) -> None:
        with psycopg.connect(self.pg_admin_dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        self._db_created = True
        subprocess.run(
            [*CLI, "db", "upgrade"],
            env=self.env(),
            cwd=self.folder,
            check=True,
            capture_output=True,
        )

    def add_api(self) -> int:
        port = free_port()
        index = len(self.apis)
        workers = str(self.api_workers)
        args = [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", workers]
        process = Process(f"api{index}", args, self.env(), self.folder)
        process.start()
        self.apis.append(process)
        self.api_ports.append(port)
        return index

    def add_worker(self) -> int:
        index = len(self.workers)
        health = str(self.folder / f"worker{index}.health")  # one beat file per worker
        env = self.env(MOCHEONG_WORKER_HEALTH_PATH=health)
        process = Process(f"worker{index}", [*CLI, "worker"], env, self.folder)
        process.start()
        self.workers.append(process)
        return index

    def add_bare_app(self) -> str:
        """Starts ``chat_bare_app.py`` (the baselines) on this run's Redis and server, with as
        many server workers as the API processes have; returns its URL."""
        port = free_port()
        args = [
            sys.executable,
            str(BENCH / "chat_bare_app.py"),
            str(port),
            self.redis_url,
            str(self.api_workers),
        ]
        env = self.env()
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH), env.get("PYTHONPATH")]))
        process = Process("bare", args, env, self.folder)
        process.start()
        self.bare = process
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            if not process.alive:
                raise SystemExit(f"the bare app exited; see {process.log_path}")
            try:
                return httpx.post(f"{url}/bare/chat", json={"message": "x"}).status_code == 202
            except httpx.HTTPError:
                return False

        _until(up, 30, f"the bare app did not start; see {process.log_path}")
        return url

    def api_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.api_ports[index]}"

    def ws_url(self, index: int) -> str:
        return f"ws://127.0.0.1:{self.api_ports[index]}/ws/chat"

    def live_apis(self) -> list[int]:
        return [i for i, process in enumerate(self.apis) if process.alive]

    def wait_ready(self, timeout: float = 180, ignore: Collection[str] = ()) -> None:
        """``timeout`` is a hang guard: on the shared machine under load, importing the app
        alone has taken a minute. Workers named in ``ignore`` were stopped on purpose."""
        for index, process in enumerate(self.apis):
            if not process.alive:
                continue

            def ready(index: int = index, process: Process = process) -> bool:
                if not process.alive:
                    raise SystemExit(f"{process.name} exited; see {process.log_path}")
                try:
                    url = f"{self.api_url(index)}/ready"
                    return httpx.get(url, timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            _until(ready, timeout, f"{process.name} did not become ready; see {process.log_path}")
        for process in self.workers:
            if not process.alive and process.name not in ignore:
                raise SystemExit(f"{process.name} exited; see {process.log_path}")

    @property
    def broker_url(self) -> str:
        """Where the product's processes keep their streams."""
        return self.nats.url if self.nats is not None else self.redis_url

    @property
    def broker_prefix(self) -> str:
        """The product's default prefix on that broker."""
        return "mc" if self.nats is not None else "mc:"

    def describe(self) -> dict[str, Any]:
        return {
            "broker": self.broker,
            "redis": self.redis_url,
            **({"nats": self.nats.url} if self.nats else {}),
            "database": self.db_name,
            "apis": [self.api_url(i) for i in range(len(self.apis))],
            "workers": len(self.workers),
            "logs": str(self.folder),
        }


@asynccontextmanager
async def stream_broker(kind: str, url: str, prefix: str) -> AsyncIterator[StreamBroker]:
    """The product's ``StreamBroker`` on ``url`` (Redis or NATS), as a worker builds it:
    what the benchmarks append through and listen with. ``prefix`` is the Redis key prefix
    (``mc:`` for the product's) or the NATS subject prefix (``mc``)."""
    if kind == "nats":
        from adapters.nats.stream import NatsStreamBroker

        client = await nats.connect(url)
        broker = NatsStreamBroker(client, prefix=prefix, ttl_seconds=600)
        try:
            yield broker
        finally:
            await broker.aclose()
            await client.close()
        return
    from redis.asyncio import Redis

    from adapters.redis.dispatcher import RedisRoomDispatcher
    from adapters.redis.stream import RedisStreamBroker

    connection = Redis.from_url(url)
    dispatcher = RedisRoomDispatcher(connection, prefix=prefix, ttl_seconds=600)
    try:
        yield RedisStreamBroker(
            connection, dispatcher, prefix=prefix, ttl_seconds=600, maxlen=10_000
        )
    finally:
        await dispatcher.aclose()
        await connection.aclose()


class PrivatePostgres:
    """A PostgreSQL server of the run's own (``initdb`` in its folder, a free port, run as the
    ``postgres`` user since the server refuses root), so stopping it disturbs nobody."""

    def __init__(self, logs: Path) -> None:
        # A folder of its own: the run's folder is not the postgres user's to enter.
        self.folder = Path(tempfile.mkdtemp(prefix="mocheong-pg-"))
        self.logs = logs
        self.port = free_port()
        self.admin_dsn = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._server: Process | None = None

    def _as_postgres(self, *args: str) -> list[str]:
        if os.geteuid() != 0:
            return list(args)
        return ["runuser", "-u", "postgres", "--", *args]

    def _binary(self, name: str) -> str:
        found = shutil.which(name) or next(
            (str(path) for path in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))), None
        )
        if found is None:
            raise SystemExit(f"{name} is not installed: the run needs its own PostgreSQL")
        return found

    def start(self) -> None:
        if not (self.folder / "PG_VERSION").exists():
            if os.geteuid() == 0:
                shutil.chown(self.folder, "postgres", "postgres")
            initdb = [self._binary("initdb"), "-D", str(self.folder), "-A", "trust", "-U"]
            subprocess.run(self._as_postgres(*initdb, "postgres"), check=True, capture_output=True)
        args = self._as_postgres(
            self._binary("postgres"),
            "-D",
            str(self.folder),
            "-p",
            str(self.port),
            "-k",
            str(self.folder),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        )
        self._server = Process("postgres", args, os.environ.copy(), self.logs)
        self._server.start()
        _until(self.answers, 30, "the private PostgreSQL did not start")

    def stop(self) -> None:
        """Fast shutdown: every connection is cut, as when the server goes away."""
        if self._server is not None:
            self._server.signal(signal.SIGINT)
            if not self._server.wait(20):
                self._server.kill()
            self._server.stop()
            self._server = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def answers(self) -> bool:
        try:
            psycopg.connect(self.admin_dsn, connect_timeout=1).close()
        except psycopg.Error:
            return False
        return True


class PrivateNats:
    """A ``nats-server -js`` of the run's own on a free port, with its JetStream store in a
    folder of its own (``-sd``), so killing, freezing or wiping it disturbs nobody."""

    def __init__(self, logs: Path) -> None:
        self.store = Path(tempfile.mkdtemp(prefix="mocheong-nats-"))
        self.logs = logs
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self._server: Process | None = None

    def start(self, timeout: float = 30) -> None:
        binary = shutil.which("nats-server")
        if binary is None:
            raise SystemExit("nats-server is not installed: the run needs its own NATS")
        args = [binary, "-js", "-a", "127.0.0.1", "-p", str(self.port), "-sd", str(self.store)]
        self._server = Process("nats", args, os.environ.copy(), self.logs)
        self._server.start()

        def up() -> bool:
            assert self._server is not None
            if not self._server.alive:
                raise SystemExit(f"the private nats-server exited; see {self._server.log_path}")
            return self.answers()

        _until(up, timeout, "the private nats-server did not start with JetStream")

    @property
    def alive(self) -> bool:
        return self._server is not None and self._server.alive

    def signal(self, sig: int) -> None:
        assert self._server is not None
        self._server.signal(sig)

    def restart(self, *, keep_data: bool = False) -> None:
        """A crash (SIGKILL) and a start on the same port: with ``keep_data`` the server
        recovers its streams from the store, else it starts with none."""
        assert self._server is not None
        self._server.kill()
        self._server.stop()
        if not keep_data:
            shutil.rmtree(self.store, ignore_errors=True)
            self.store.mkdir()
        self.start()

    def remove(self) -> None:
        if self._server is not None:
            self._server.stop(5)
            self._server = None
        shutil.rmtree(self.store, ignore_errors=True)

    def answers(self) -> bool:
        """True when a client connects and JetStream answers for its account within a few
        seconds; False while the server is down, starting or frozen."""

        async def quiet(_: Exception) -> None:
            """A refused connection before the server listens is the expected answer."""

        async def ask() -> bool:
            # nats-py retries a refused first connection without end: the deadline is ours.
            async with asyncio.timeout(3):
                client = await nats.connect(
                    self.url,
                    connect_timeout=1,
                    allow_reconnect=False,
                    max_reconnect_attempts=1,
                    error_cb=quiet,
                )
                try:
                    await client.jetstream(timeout=1).account_info()
                finally:
                    with suppress(Exception):
                        await client.close()
            return True

        async def answered() -> bool:
            try:
                return await ask()
            except (NatsError, JetStreamError, OSError, TimeoutError):
                return False

        # A thread of its own: the run may be inside an event loop already (chaos.py).
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, answered()).result()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _redis_ping(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def _until(check: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise SystemExit(message)
