from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mocheong_core.accounts.model import AccessClaims, RefreshToken, Role, User


class UserRepository(Protocol):
    async def add(self, user: User) -> None:
        """Stores a new user; raises ``EmailTaken`` when the email is in use."""

    async def get(self, user_id: str) -> User | None: ...

    async def by_email(self, email: str) -> User | None: ...

    async def update(self, user: User) -> None: ...

    async def list(self, *, limit: int, before: str | None) -> list[User]:
        """Users newest first, those with an id below ``before`` when it is given."""
        ...

    async def count(self) -> int: ...


class UserCache(Protocol):
    """Users as authentication last read them, kept by each process for a short time. Every
    change to a user is followed by ``forget``, which reaches every process."""

    def ticket(self) -> int:
        """Taken before reading a user from the store and handed to ``put``."""
        ...

    def get(self, user_id: str) -> User | None: ...

    def put(self, user: User, ticket: int) -> None:
        """Keeps ``user`` unless something was forgotten since ``ticket`` was taken."""
        ...

    async def forget(self, user_id: str) -> None:
        """Drops the user here and in every other process; never raises."""
        ...


class RevokedFamilies(Protocol):
    """Sign-ins (refresh-token families) ended lately, known to every process without a
    read per request. An entry is kept as long as an access token of the family can live."""

    def is_revoked(self, family_id: str) -> bool: ...

    async def revoke(self, user_id: str, family_id: str) -> None:
        """Refuses the family's access tokens here and in every other process, and has the
        user's open sockets sign in again; never raises."""
        ...


class RefreshTokenRepository(Protocol):
    async def add(self, token: RefreshToken) -> None: ...

    async def by_hash(self, token_hash: str) -> RefreshToken | None: ...

    async def mark_spent(self, token_id: str, at: datetime) -> bool:
        """Marks an unspent token spent; False when another request spent it first."""
        ...

    async def revoke_family(self, family_id: str, at: datetime) -> None: ...

    async def revoke_user(self, user_id: str, at: datetime) -> None: ...


class PasswordHasher(Protocol):
    decoy_hash: str
    """A hash of nothing anyone knows, verified against when the email is unknown."""

    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class AccessTokens(Protocol):
    """Issues and checks short-lived signed access tokens."""

    ttl_seconds: int

    def issue(self, user_id: str, role: Role, now: datetime, family_id: str) -> str: ...

    def verify(self, token: str, now: datetime) -> AccessClaims:
        """Returns the claims or raises ``InvalidToken``."""
        ...
