from __future__ import annotations

import enum
import re
from datetime import datetime

import attrs

from mocheong_core.errors import Validator

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 128
NAME_MAX = 50


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively: compare and store them trimmed and lower-cased."""
    return email.strip().lower()


def validate_registration(email: str, password: str, name: str) -> None:
    v = Validator()
    v.check(len(email) <= 254 and bool(EMAIL_RE.match(email)), "email", "is not an email address")
    v.check(
        PASSWORD_MIN <= len(password) <= PASSWORD_MAX,
        "password",
        f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters",
    )
    v.check(0 < len(name.strip()) <= NAME_MAX, "name", f"must be 1 to {NAME_MAX} characters")
    v.raise_if_any()


@attrs.define
class User:
    id: str
    email: str
    name: str
    password_hash: str
    role: Role
    disabled: bool
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@attrs.define
class RefreshToken:
    """A stored refresh token. Only its hash is kept; ``family_id`` ties a rotation chain."""

    id: str
    user_id: str
    family_id: str
    token_hash: str
    expires_at: datetime
    created_at: datetime
    spent_at: datetime | None = None
    revoked_at: datetime | None = None


@attrs.frozen
class AccessClaims:
    user_id: str
    role: Role
    expires_at: datetime


@attrs.frozen
class TokenPair:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int
