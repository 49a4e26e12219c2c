from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.tables.accounts import refresh_tokens, users
from mocheong_core.accounts.errors import EmailTaken
from mocheong_core.accounts.model import RefreshToken, Role, User


def _user(row: sa.Row[Any]) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        password_hash=row.password_hash,
        role=Role(row.role),
        disabled=row.disabled,
        created_at=row.created_at,
    )


class SqlaUserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, user: User) -> None:
        try:
            async with self._session.begin_nested():
                await self._session.execute(
                    users.insert().values(
                        id=user.id,
                        email=user.email,
                        name=user.name,
                        password_hash=user.password_hash,
                        role=user.role.value,
                        disabled=user.disabled,
                        created_at=user.created_at,
                    )
                )
        except IntegrityError:
            raise EmailTaken from None

    async def get(self, user_id: str) -> User | None:
        row = (await self._session.execute(users.select().where(users.c.id == user_id))).first()
        return _user(row) if row else None

    async def by_email(self, email: str) -> User | None:
        row = (await self._session.execute(users.select().where(users.c.email == email))).first()
        return _user(row) if row else None

    async def update(self, user: User) -> None:
        await self._session.execute(
            users.update()
            .where(users.c.id == user.id)
            .values(
                name=user.name,
                password_hash=user.password_hash,
                role=user.role.value,
                disabled=user.disabled,
            )
        )

    async def list(
        self, *, limit: int, before: str | None, search: str | None = None
    ) -> list[User]:
        query = users.select().order_by(users.c.id.desc()).limit(limit)
        if before:
            query = query.where(users.c.id < before)
        if search:
            escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            query = query.where(
                sa.or_(
                    sa.func.lower(users.c.email).like(pattern, escape="\\"),
                    sa.func.lower(users.c.name).like(pattern, escape="\\"),
                )
            )
        return [_user(r) for r in await self._session.execute(query)]

    async def count(self) -> int:
        return int(
            (
                await self._session.execute(sa.select(sa.func.count()).select_from(users))
            ).scalar_one()
        )


def _token(row: sa.Row[Any]) -> RefreshToken:
    return RefreshToken(
        id=row.id,
        user_id=row.user_id,
        family_id=row.family_id,
        token_hash=row.token_hash,
        expires_at=row.expires_at,
        created_at=row.created_at,
        spent_at=row.spent_at,
        revoked_at=row.revoked_at,
    )


class SqlaRefreshTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: RefreshToken) -> None:
        await self._session.execute(
            refresh_tokens.insert().values(
                id=token.id,
                user_id=token.user_id,
                family_id=token.family_id,
                token_hash=token.token_hash,
                expires_at=token.expires_at,
                created_at=token.created_at,
            )
        )

    async def by_hash(self, token_hash: str) -> RefreshToken | None:
        query = refresh_tokens.select().where(refresh_tokens.c.token_hash == token_hash)
        row = (await self._session.execute(query)).first()
        return _token(row) if row else None

    async def mark_spent(self, token_id: str, at: datetime) -> bool:
        # The conditional update is the race guard: of two concurrent refreshes one wins.
        result = await self._session.execute(
            refresh_tokens.update()
            .where(refresh_tokens.c.id == token_id, refresh_tokens.c.spent_at.is_(None))
            .values(spent_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_family(self, family_id: str, at: datetime) -> None:
        await self._session.execute(
            refresh_tokens.update()
            .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )

    async def revoke_user(self, user_id: str, at: datetime) -> None:
        await self._session.execute(
            refresh_tokens.update()
            .where(refresh_tokens.c.user_id == user_id, refresh_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
