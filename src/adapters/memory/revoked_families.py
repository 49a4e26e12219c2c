"""``LocalRevokedFamilies``: the sign-ins (refresh-token families) ended lately, as this
process knows them, so that authentication refuses their access tokens without a read.

A revocation is kept for ``keep_seconds`` (the access-token lifetime and the clock skew): by
then every access token issued to the family before it was revoked has expired. With peers
(Redis), ``revoke`` is announced to every process and what the others announce comes back
through ``drop``; a (re)subscription catches up on what was announced while it was down.
Every revocation, heard or made here, has the user's open sockets sign in again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Protocol

KEY_SEPARATOR = " "


class RevocationPeers(Protocol):
    async def announce(self, keys: list[str]) -> None:
        """Tells every process of these revocations and keeps them for late joiners; never
        raises."""
        ...

    async def recent(self) -> list[str]:
        """The revocations announced within their keeping time; never raises."""
        ...


def revocation_key(user_id: str, family_id: str) -> str:
    return f"{user_id}{KEY_SEPARATOR}{family_id}"


class LocalRevokedFamilies:
    def __init__(
        self,
        keep_seconds: float,
        peers: RevocationPeers | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keep, self._peers, self._clock = keep_seconds, peers, clock
        self._families: dict[str, float] = {}
        self._listeners: list[Callable[[list[str]], None]] = []
        self._catching_up: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._families)

    def is_revoked(self, family_id: str) -> bool:
        until = self._families.get(family_id)
        if until is None:
            return False
        if until <= self._clock():
            del self._families[family_id]
            return False
        return True

    async def revoke(self, user_id: str, family_id: str) -> None:
        key = revocation_key(user_id, family_id)
        self.drop([key])
        if self._peers is not None:
            await self._peers.announce([key])

    def on_revoke(self, listener: Callable[[list[str]], None]) -> None:
        """``listener`` hears the user ids of every revocation, made here or by a peer."""
        self._listeners.append(listener)

    def drop(self, keys: Iterable[str]) -> None:
        """Revocations (``user family`` keys) made here or announced by a peer."""
        now = self._clock()
        users = []
        for key in keys:
            user_id, _, family_id = key.partition(KEY_SEPARATOR)
            if not family_id:
                continue
            self._families[family_id] = now + self._keep
            users.append(user_id)
        self._forget_expired(now)
        for listener in self._listeners:
            listener(users)

    def suspend(self) -> None:
        """Announcements may be missed until the next ``resume``, which catches up."""

    def resume(self) -> None:
        if self._peers is None:
            return
        task = asyncio.get_running_loop().create_task(self._catch_up(self._peers))
        self._catching_up.add(task)
        task.add_done_callback(self._catching_up.discard)

    async def _catch_up(self, peers: RevocationPeers) -> None:
        self.drop(await peers.recent())

    def _forget_expired(self, now: float) -> None:
        for family_id in [f for f, until in self._families.items() if until <= now]:
            del self._families[family_id]
