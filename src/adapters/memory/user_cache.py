"""``LocalUserCache``: the users authentication read lately, kept by this process for a few
seconds so that an authenticated request does not wait on the database for its caller. Every
change to a user ends with ``forget`` (see ``TicketedCache``)."""

from __future__ import annotations

import attrs

from adapters.memory.ticketed_cache import TicketedCache
from mocheong_core.accounts.model import User


class LocalUserCache(TicketedCache[User]):
    def get(self, user_id: str) -> User | None:
        user = self.lookup(user_id)
        # A copy: callers may change what they were given.
        return attrs.evolve(user) if user is not None else None

    def put(self, user: User, ticket: int) -> None:
        self.keep(user.id, attrs.evolve(user), ticket)
