"""Account use cases: what the HTTP shell (and an importing team) calls."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import attrs

from mocheong_core.accounts.errors import (
    AccountDisabled,
    AdminOnly,
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    SelfLockout,
)
from mocheong_core.accounts.model import RefreshToken as StoredRefreshToken
from mocheong_core.accounts.model import (
    Role,
    TokenPair,
    User,
    is_email,
    normalize_email,
    validate_registration,
)
from mocheong_core.accounts.ports import (
    AccessTokens,
    PasswordHasher,
    RefreshTokenRepository,
    RevokedFamilies,
    UserCache,
    UserRepository,
)
from mocheong_core.errors import NotFound
from mocheong_core.kernel.clock import Clock
from mocheong_core.kernel.ids import new_id
from mocheong_core.kernel.paging import CursorPage
from mocheong_core.kernel.uow import UnitOfWork


@attrs.frozen
class AccountsPolicy:
    refresh_ttl_seconds: int = 30 * 24 * 3600


def hash_refresh_token(token: str) -> str:
    # Refresh tokens carry 256 random bits, so a fast hash is enough to keep them unusable at rest.
    return hashlib.sha256(token.encode()).hexdigest()


class TokenMinter:
    """Issues an access token and a new refresh token in a family."""

    def __init__(
        self,
        access: AccessTokens,
        refresh_tokens: RefreshTokenRepository,
        clock: Clock,
        policy: AccountsPolicy,
    ) -> None:
        self._access = access
        self._refresh = refresh_tokens
        self._clock = clock
        self._policy = policy

    async def mint(self, user: User, family_id: str | None = None) -> TokenPair:
        now = self._clock.now()
        raw = secrets.token_urlsafe(32)
        family_id = family_id or new_id()
        await self._refresh.add(
            StoredRefreshToken(
                id=new_id(),
                user_id=user.id,
                family_id=family_id,
                token_hash=hash_refresh_token(raw),
                expires_at=now + timedelta(seconds=self._policy.refresh_ttl_seconds),
                created_at=now,
            )
        )
        return TokenPair(
            user=user,
            access_token=self._access.issue(user.id, user.role, now, family_id),
            refresh_token=raw,
            expires_in=self._access.ttl_seconds,
        )


class Register:
    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        minter: TokenMinter,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users, self._hasher, self._minter = users, hasher, minter
        self._uow, self._clock = uow, clock

    async def __call__(
        self, email: str, password: str, name: str, role: Role = Role.USER
    ) -> TokenPair:
        email = normalize_email(email)
        validate_registration(email, password, name)
        if await self._users.by_email(email) is not None:
            raise EmailTaken
        user = User(
            id=new_id(),
            email=email,
            name=name.strip(),
            password_hash=self._hasher.hash(password),
            role=role,
            disabled=False,
            created_at=self._clock.now(),
        )
        await self._users.add(user)
        pair = await self._minter.mint(user)
        await self._uow.commit()
        return pair


class Login:
    def __init__(
        self,
        users: UserRepository,
        hasher: PasswordHasher,
        minter: TokenMinter,
        uow: UnitOfWork,
    ) -> None:
        self._users, self._hasher, self._minter, self._uow = users, hasher, minter, uow

    async def __call__(self, email: str, password: str) -> TokenPair:
        email = normalize_email(email)
        # Text that cannot be an address was never registered; it need not reach the store.
        user = await self._users.by_email(email) if is_email(email) else None
        if user is None:
            # Verifying against a real hash keeps the timing of both answers alike.
            self._hasher.verify(self._hasher.decoy_hash, password)
            raise InvalidCredentials
        if not self._hasher.verify(user.password_hash, password):
            raise InvalidCredentials
        if user.disabled:
            raise AccountDisabled
        if self._hasher.needs_rehash(user.password_hash):
            user.password_hash = self._hasher.hash(password)
            await self._users.update(user)
        pair = await self._minter.mint(user)
        await self._uow.commit()
        return pair


class Refresh:
    """Rotates a refresh token. A spent token presented again revokes its whole family."""

    def __init__(
        self,
        users: UserRepository,
        refresh_tokens: RefreshTokenRepository,
        minter: TokenMinter,
        uow: UnitOfWork,
        clock: Clock,
        revoked: RevokedFamilies,
    ) -> None:
        self._users, self._tokens, self._minter = users, refresh_tokens, minter
        self._uow, self._clock, self._revoked = uow, clock, revoked

    async def __call__(self, refresh_token: str) -> TokenPair:
        now = self._clock.now()
        stored = await self._tokens.by_hash(hash_refresh_token(refresh_token))
        if stored is None or stored.revoked_at is not None or stored.expires_at <= now:
            raise InvalidToken
        if stored.spent_at is not None or not await self._tokens.mark_spent(stored.id, now):
            await self._tokens.revoke_family(stored.family_id, now)
            await self._uow.commit()
            await self._revoked.revoke(stored.user_id, stored.family_id)
            raise InvalidToken("This refresh token was already used; its sessions are revoked")
        user = await self._users.get(stored.user_id)
        if user is None or user.disabled:
            await self._uow.commit()
            raise AccountDisabled
        pair = await self._minter.mint(user, family_id=stored.family_id)
        await self._uow.commit()
        return pair


class Logout:
    """Ends the sign-in of a refresh token: the family is revoked in the store, and its access
    tokens are refused by every process at once."""

    def __init__(
        self,
        refresh_tokens: RefreshTokenRepository,
        uow: UnitOfWork,
        clock: Clock,
        revoked: RevokedFamilies,
    ) -> None:
        self._tokens, self._uow, self._clock = refresh_tokens, uow, clock
        self._revoked = revoked

    async def __call__(self, user: User, refresh_token: str) -> None:
        stored = await self._tokens.by_hash(hash_refresh_token(refresh_token))
        if stored is not None and stored.user_id == user.id:
            await self._tokens.revoke_family(stored.family_id, self._clock.now())
            await self._uow.commit()
            await self._revoked.revoke(user.id, stored.family_id)


class Authenticate:
    """Turns an access token into its user; a disabled or deleted user, or a sign-in that was
    ended (logout, a reused refresh token), is refused at once: changes to users are forgotten
    by every process's cache, and revoked families told to every process, as they happen."""

    def __init__(
        self,
        access: AccessTokens,
        users: UserRepository,
        cache: UserCache,
        clock: Clock,
        revoked: RevokedFamilies,
    ) -> None:
        self._access, self._users, self._cache, self._clock = access, users, cache, clock
        self._revoked = revoked

    async def __call__(self, token: str) -> User:
        claims = self._access.verify(token, self._clock.now())
        if self._revoked.is_revoked(claims.family_id):
            raise InvalidToken("This sign-in has ended; sign in again")
        user = self._cache.get(claims.user_id)
        if user is None:
            ticket = self._cache.ticket()
            user = await self._users.get(claims.user_id)
            if user is None:
                raise InvalidToken
            self._cache.put(user, ticket)
        if user.disabled:
            raise AccountDisabled
        return user


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise AdminOnly


class ListUsers:
    def __init__(self, users: UserRepository) -> None:
        self._users = users

    async def __call__(self, actor: User, *, limit: int, cursor: str | None) -> CursorPage[User]:
        require_admin(actor)
        items = await self._users.list(limit=limit + 1, before=cursor)
        more = len(items) > limit
        items = items[:limit]
        return CursorPage(items, items[-1].id if more else None)


class UpdateUser:
    """An admin disables, re-enables or changes the role of a user."""

    def __init__(
        self,
        users: UserRepository,
        refresh_tokens: RefreshTokenRepository,
        cache: UserCache,
        uow: UnitOfWork,
        clock: Clock,
    ) -> None:
        self._users, self._tokens, self._cache = users, refresh_tokens, cache
        self._uow, self._clock = uow, clock

    async def __call__(
        self, actor: User, user_id: str, *, disabled: bool | None, role: Role | None
    ) -> User:
        require_admin(actor)
        if user_id == actor.id and (disabled or role is Role.USER):
            # Otherwise the last administrator could lock everyone out of the admin routes.
            raise SelfLockout
        user = await self._users.get(user_id)
        if user is None:
            raise NotFound("No such user")
        if disabled is not None:
            user.disabled = disabled
            if disabled:
                await self._tokens.revoke_user(user.id, self._clock.now())
        if role is not None:
            user.role = role
        await self._users.update(user)
        await self._uow.commit()
        await self._cache.forget(user.id)
        return user


class CreateAdmin:
    """Creates an administrator, or promotes the existing account with that email."""

    def __init__(
        self, users: UserRepository, register: Register, cache: UserCache, uow: UnitOfWork
    ) -> None:
        self._users, self._register, self._cache, self._uow = users, register, cache, uow

    async def __call__(self, email: str, password: str, name: str) -> User:
        existing = await self._users.by_email(normalize_email(email))
        if existing is None:
            return (await self._register(email, password, name, role=Role.ADMIN)).user
        existing.role = Role.ADMIN
        existing.disabled = False
        await self._users.update(existing)
        await self._uow.commit()
        await self._cache.forget(existing.id)
        return existing
