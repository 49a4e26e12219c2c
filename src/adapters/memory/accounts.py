"""In-memory twins of the account repositories, for unit tests and importing teams.

They hand out copies, as a database would: changing a returned ``User`` changes nothing until
``update`` is called.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

import attrs

from mocheong_core.accounts.errors import EmailTaken
from mocheong_core.accounts.model import RefreshToken, User


class InMemoryUserRepository:
    def __init__(self) -> None:
        self._users: dict[str, User] = {}

    def snapshot(self) -> object:
        return {key: attrs.evolve(user) for key, user in self._users.items()}

    def restore(self, state: object) -> None:
        self._users = {k: attrs.evolve(u) for k, u in cast(dict[str, User], state).items()}

    async def add(self, user: User) -> None:
        # Like the SQL unique constraint, this compares the stored text exactly: the use
        # cases normalise emails before they get here.
        if user.id in self._users or any(u.email == user.email for u in self._users.values()):
            raise EmailTaken
        self._users[user.id] = attrs.evolve(user)

    async def get(self, user_id: str) -> User | None:
        user = self._users.get(user_id)
        return attrs.evolve(user) if user else None

    async def by_email(self, email: str) -> User | None:
        for user in self._users.values():
            if user.email == email:
                return attrs.evolve(user)
        return None

    async def update(self, user: User) -> None:
        stored = self._users.get(user.id)
        if stored is not None:
            # The email and creation time are not changed by an update, as in the SQL twin.
            self._users[user.id] = attrs.evolve(
                user, email=stored.email, created_at=stored.created_at
            )

    async def list(
        self, *, limit: int, before: str | None, search: str | None = None
    ) -> list[User]:
        needle = (search or "").lower()
        ids = sorted(
            (
                i
                for i, u in self._users.items()
                if (before is None or i < before)
                and (needle in u.email.lower() or needle in u.name.lower())
            ),
            reverse=True,
        )
        return [attrs.evolve(self._users[i]) for i in ids[:limit]]

    async def count(self) -> int:
        return len(self._users)


class InMemoryRefreshTokenRepository:
    def __init__(self) -> None:
        self._tokens: dict[str, RefreshToken] = {}

    def snapshot(self) -> object:
        return {key: attrs.evolve(token) for key, token in self._tokens.items()}

    def restore(self, state: object) -> None:
        self._tokens = {k: attrs.evolve(t) for k, t in cast(dict[str, RefreshToken], state).items()}

    async def add(self, token: RefreshToken) -> None:
        self._tokens[token.id] = attrs.evolve(token, spent_at=None, revoked_at=None)

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        for token in self._tokens.values():
            if token.token_hash == token_hash:
                return attrs.evolve(token)
        return None

    async def mark_spent(self, token_id: str, at: datetime) -> bool:
        token = self._tokens.get(token_id)
        if token is None or token.spent_at is not None:
            return False
        token.spent_at = at
        return True

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        for token in self._tokens.values():
            if token.family_id == family_id and token.revoked_at is None:
                token.revoked_at = at

    async def revoke_user(self, user_id: str, at: datetime) -> None:
        for token in self._tokens.values():
            if token.user_id == user_id and token.revoked_at is None:
                token.revoked_at = at
