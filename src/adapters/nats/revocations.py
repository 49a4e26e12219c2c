"""``NatsRevocations``: ended sign-ins announced to every process over NATS (the twin of
``RedisRevocations`` for ``MOCHEONG_BROKER=nats``).

One subject carries them (``<prefix>.revoked``), and one JetStream stream
(``<PREFIX>_REVOCATIONS``) keeps what is published on it for ``keep_seconds``. An announcement
is one JetStream publish: the server stores it and hands it to every process subscribed to the
subject at once (a core subscription, as the cache notices of ``NatsCachePeers``); a process
whose subscription was down, or that starts later, reads the stream when it (re)subscribes.

A revocation made while NATS does not answer stays in its own process (and in the database,
where the family's refresh tokens are revoked): the other processes refuse its access tokens
only when they expire, at most the access-token lifetime later.
"""

from __future__ import annotations

import json

import structlog
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import api
from nats.js.errors import BadRequestError, NoStreamResponseError, NotFoundError
from nats.js.errors import Error as JetStreamError

from adapters.nats.cache_peers import NatsCachePeers
from adapters.nats.connection import NatsNames

log = structlog.get_logger("mocheong.revocations")

_STREAM_IN_USE = 10058  # another process made the stream first
_FAILURES = (NatsError, JetStreamError, OSError, TimeoutError)


class NatsRevocations(NatsCachePeers):
    def __init__(
        self,
        client: Client,
        names: NatsNames,
        keep_seconds: float,
        storage: api.StorageType = api.StorageType.FILE,
    ) -> None:
        super().__init__(client, names.revoked)
        self._js = client.jetstream()
        self._config = api.StreamConfig(
            name=names.revocations_stream,
            description="Mocheong ended sign-ins, kept as long as their access tokens live",
            subjects=[names.revoked],
            retention=api.RetentionPolicy.LIMITS,
            storage=storage,
            max_age=keep_seconds,
            duplicate_window=min(120.0, keep_seconds),
            num_replicas=1,
        )
        self._made = False

    async def announce(self, keys: list[str]) -> None:
        payload = json.dumps(keys).encode()
        try:
            for _ in range(2):
                if not self._made:
                    await self._make()
                try:
                    await self._js.publish(self._subject, payload)
                    return
                except NoStreamResponseError:
                    self._made = False  # the server lost the stream (a restart): make it again
            log.warning("revocation_not_kept", subject=self._subject, error="no stream")
        except _FAILURES as exc:
            log.warning("revocation_not_kept", subject=self._subject, error=repr(exc))
        await super().announce(keys)  # the processes listening now still hear of it

    async def recent(self) -> list[str]:
        stream = self._config.name or ""
        keys: list[str] = []
        try:
            seq = (await self._js.stream_info(stream)).state.first_seq
            while True:
                msg = await self._js.get_msg(stream, seq=seq, subject=self._subject, next=True)
                keys.extend(json.loads(msg.data or b"[]"))
                seq = (msg.seq or seq) + 1
        except NotFoundError:
            return keys  # past the last one, or no stream yet: nothing was announced
        except _FAILURES as exc:
            log.warning("revocations_not_read", stream=stream, error=repr(exc))
            return keys

    async def _make(self) -> None:
        """Makes the stream, or brings an existing one's age limit to the setting's."""
        try:
            await self._js.add_stream(self._config)
        except BadRequestError as exc:
            if exc.err_code != _STREAM_IN_USE:
                raise
            await self._js.update_stream(self._config)
        self._made = True
