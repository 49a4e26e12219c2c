"""``TicketedCache``: what one process keeps of rows it read (users behind authentication, chat
sessions), for a few seconds, dropped everywhere when they change.

A change ends with ``forget``, which drops the key here and tells the other processes through
``CachePeers`` (Redis pub/sub when several run); what they announce comes back through
``drop``. A value read before a ``forget`` is not stored after it (the ticket taken before the
read), and entries expire after ``ttl_seconds`` whatever happens, which bounds what a lost
announcement can cost. With peers, nothing is kept until their announcements are heard.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Generic, Protocol, TypeVar

V = TypeVar("V")


class CachePeers(Protocol):
    async def announce(self, keys: list[str]) -> None:
        """Tells the other processes to drop these keys; must not raise."""
        ...


class TicketedCache(Generic[V]):
    def __init__(
        self,
        max_entries: int,
        ttl_seconds: float,
        peers: CachePeers | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()
        self._max_entries, self._ttl = max_entries, ttl_seconds
        self._peers, self._clock = peers, clock
        self._epoch = 0
        self._active = peers is None and self._enabled
        self._listeners: list[Callable[[list[str]], None]] = []

    @property
    def _enabled(self) -> bool:
        return self._ttl > 0 and self._max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    def ticket(self) -> int:
        return self._epoch

    def lookup(self, key: str) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, value = entry
        if expires_at <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def keep(self, key: str, value: V, ticket: int) -> bool:
        """Stores ``value`` unless something was dropped since ``ticket`` was taken; says
        whether it did."""
        if ticket != self._epoch or not self._active:
            return False
        self._entries[key] = (self._clock() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return True

    async def forget(self, key: str) -> None:
        """Drops ``key`` here and in every other process; never raises."""
        self.drop([key])
        if self._peers is not None:
            await self._peers.announce([key])

    def on_drop(self, listener: Callable[[list[str]], None]) -> None:
        """``listener`` hears the keys of every change, made here or announced by a peer."""
        self._listeners.append(listener)

    def drop(self, keys: Iterable[str]) -> None:
        """The values of ``keys`` changed: they go, and the listeners are told."""
        keys = list(keys)
        self._clear(keys)
        for listener in self._listeners:
            listener(keys)

    def suspend(self) -> None:
        """Keeps nothing until ``resume``: announcements from the peers may be missed."""
        self._active = False
        self._clear(list(self._entries))

    def resume(self) -> None:
        self._clear(list(self._entries))
        self._active = self._enabled

    def _clear(self, keys: list[str]) -> None:
        self._epoch += 1
        for key in keys:
            self._entries.pop(key, None)
