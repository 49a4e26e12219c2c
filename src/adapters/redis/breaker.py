"""Fast failure of the Redis commands of a process while Redis does not answer.

A Redis that stops answering (frozen, overloaded, cut off without a reset) holds each command
for the socket's read deadline. Without more, every request in an outage waits that deadline
once per Redis step it takes. A :class:`RedisBreaker` is shared by every connection a process
makes to one Redis (the API's pool, the chat dispatcher's and cache subscribers' connections,
the worker's queue pool): the first command that times out opens it, and from then on the
commands of every connection fail at once with :class:`RedisUnavailable` (a redis-py
``ConnectionError``, so whatever maps that to a 503 does so here too). After ``cooldown``
seconds one command is let through as a probe; its answer closes the breaker, its failure
opens it for another ``cooldown``. A probe whose connection is dropped before its answer
(its caller cancelled) gives its turn up once its deadline passed.

Only timeouts open it: a refused or reset connection already fails at once, and a restarted
Redis answers the next connection. Reads that wait on purpose (a subscriber's read with its own
timeout, a connection made without a read deadline) never time out, so they never open it;
their connections are refused while it is open and reconnect once it closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from redis.asyncio.connection import (
    AbstractConnection,
    Connection,
    SSLConnection,
    UnixDomainSocketConnection,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError


class RedisUnavailable(RedisConnectionError):
    """Refused at once: Redis timed out a moment ago and has not answered since."""


class RedisBreaker:
    """Closed, open (every command refused) or probing (one command let through)."""

    def __init__(self, cooldown: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.cooldown = cooldown
        self._clock = clock
        self._open = False
        self._probe_at = 0.0
        """When the next probe may go, while open."""
        self._probe_until = 0.0
        """When the probe out gives its turn up (0: none is out)."""
        self.trips = 0
        """How many times a timeout opened it (a closed breaker opening)."""

    @property
    def is_open(self) -> bool:
        return self._open

    def admit(self, deadline: float) -> bool:
        """Lets a command go, or raises :class:`RedisUnavailable`. True: it goes as the probe,
        which must report :meth:`answered` or :meth:`failed` within ``deadline`` seconds."""
        if not self._open:
            return False
        now = self._clock()
        if now >= self._probe_at and now >= self._probe_until:
            self._probe_until = now + deadline
            return True
        raise RedisUnavailable("Redis is not answering; retrying it shortly")

    def answered(self, probe: bool) -> None:
        """Redis answered a command; a probe's answer closes the breaker. (Another
        connection's answer may be a reply that was on its way before the outage.)"""
        if probe:
            self._open = False
            self._probe_until = 0.0

    def failed(self) -> None:
        """A command timed out: refuse the others for ``cooldown`` seconds."""
        if not self._open:
            self.trips += 1
        self._open = True
        self._probe_at = self._clock() + self.cooldown
        self._probe_until = 0.0

    def released(self, probe: bool) -> None:
        """A probe ended without telling whether Redis answers (its connection failed
        otherwise): the next command after the cool-down probes again."""
        if probe and self._open:
            self._probe_until = 0.0


_SHARED: dict[str, RedisBreaker] = {}


def shared_breaker(redis: str, cooldown: float) -> RedisBreaker:
    """The one breaker of this process for the Redis at ``redis`` (its URL)."""
    breaker = _SHARED.get(redis)
    if breaker is None:
        breaker = _SHARED[redis] = RedisBreaker(cooldown)
    breaker.cooldown = cooldown
    return breaker


class GuardedConnection(AbstractConnection):
    """A redis-py connection that consults its ``breaker`` before it connects or sends and
    tells it how each read went. Give it as ``connection_class`` with a ``breaker`` keyword
    (connections made from a pool's ``connection_kwargs`` share it)."""

    def __init__(self, *args: Any, breaker: RedisBreaker | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = breaker
        self._probe = False

    def _admit(self) -> None:
        if self.breaker is None or self._probe:
            return
        deadline = (self.socket_timeout or 0) + (self.socket_connect_timeout or 0)
        self._probe = self.breaker.admit(deadline or self.breaker.cooldown)

    def _report(self, answered: bool | None) -> None:
        probe, self._probe = self._probe, False
        if self.breaker is None:
            return
        if answered is None:
            self.breaker.released(probe)
        elif answered:
            self.breaker.answered(probe)
        else:
            self.breaker.failed()

    async def connect(self) -> None:
        if self.is_connected:
            return
        self._admit()
        try:
            await super().connect()  # type: ignore[no-untyped-call]
        except RedisTimeoutError:
            self._report(answered=False)
            raise
        except BaseException:
            self._report(answered=None)
            raise

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        self._admit()
        try:
            await super().send_packed_command(command, check_health)
        except RedisTimeoutError:
            self._report(answered=False)
            raise
        except BaseException:
            if self._probe:
                self._report(answered=None)
            raise

    async def read_response(
        self,
        disable_decoding: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 (redis-py's own signature)
        *,
        disconnect_on_error: bool = True,
        push_request: bool | None = False,
    ) -> Any:
        try:
            response = await super().read_response(
                disable_decoding,
                timeout,
                disconnect_on_error=disconnect_on_error,
                push_request=push_request,
            )
        except ResponseError:  # an answer all the same
            self._report(answered=True)
            raise
        except RedisTimeoutError:
            self._report(answered=False)
            raise
        except BaseException:
            self._report(answered=None)
            raise
        if response is not None or timeout is None:  # None: a read's own timeout ran out
            self._report(answered=True)
        return response


class GuardedTcpConnection(GuardedConnection, Connection):
    pass


class GuardedSslConnection(GuardedConnection, SSLConnection):
    pass


class GuardedUnixConnection(GuardedConnection, UnixDomainSocketConnection):
    pass


GUARDED: dict[str, type[AbstractConnection]] = {
    "redis": GuardedTcpConnection,
    "rediss": GuardedSslConnection,
    "unix": GuardedUnixConnection,
}
"""The guarded connection class of each Redis URL scheme."""
