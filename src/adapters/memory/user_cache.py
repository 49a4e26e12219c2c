"""``LocalUserCache``: the users authentication read lately, kept in this process for a few
seconds so that an authenticated request does not wait on the database for its caller.

Every change to a user ends with ``forget``, which drops the user here and tells the other
processes through ``CachePeers`` (Redis pub/sub when several run); what they announce comes
back through ``drop``. A user read before a ``forget`` is not stored after it (the ticket),
and entries expire after ``ttl_seconds`` whatever happens, which bounds what a lost
announcement can cost. With peers, nothing is kept until their announcements are heard.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

import attrs

from adapters.memory.page_cache import CachePeers
from mocheong_core.accounts.model import User


class LocalUserCache:
    def __init__(
        self,
        max_users: int,
        ttl_seconds: float,
        peers: CachePeers | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._users: OrderedDict[str, tuple[float, User]] = OrderedDict()
        self._max_users, self._ttl = max_users, ttl_seconds
        self._peers, self._clock = peers, clock
        self._epoch = 0
        self._active = peers is None and ttl_seconds > 0 and max_users > 0

    def __len__(self) -> int:
        return len(self._users)

    def ticket(self) -> int:
        return self._epoch

    def get(self, user_id: str) -> User | None:
        entry = self._users.get(user_id)
        if entry is None:
            return None
        expires_at, user = entry
        if expires_at <= self._clock():
            del self._users[user_id]
            return None
        self._users.move_to_end(user_id)
        return attrs.evolve(user)  # a copy: callers may change what they were given

    def put(self, user: User, ticket: int) -> None:
        if ticket != self._epoch or not self._active:
            return
        self._users[user.id] = (self._clock() + self._ttl, attrs.evolve(user))
        self._users.move_to_end(user.id)
        while len(self._users) > self._max_users:
            self._users.popitem(last=False)

    async def forget(self, user_id: str) -> None:
        self.drop([user_id])
        if self._peers is not None:
            await self._peers.announce([user_id])

    def drop(self, keys: Iterable[str]) -> None:
        self._epoch += 1
        for user_id in keys:
            self._users.pop(user_id, None)

    def suspend(self) -> None:
        """Keeps nothing until ``resume``: announcements from the peers may be missed."""
        self._active = False
        self.drop(list(self._users))

    def resume(self) -> None:
        self.drop(list(self._users))
        self._active = self._ttl > 0 and self._max_users > 0
