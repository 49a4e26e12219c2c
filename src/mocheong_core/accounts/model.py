from __future__ import annotations

import enum
import re
import unicodedata
from datetime import datetime

import attrs

from mocheong_core.errors import Validator

# Control characters are refused too: Postgres cannot store NUL, and no address contains one.
_ATOM = r"[^@\s\x00-\x1f\x7f]"
EMAIL_RE = re.compile(rf"^{_ATOM}{{1,64}}@{_ATOM}+\.{_ATOM}{{2,}}$")
EMAIL_MAX = 254
PASSWORD_MIN = 8
PASSWORD_MAX = 128
NAME_MAX = 50


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively: compare and store them trimmed and lower-cased."""
    return email.strip().lower()


def is_email(email: str) -> bool:
    return len(email) <= EMAIL_MAX and bool(EMAIL_RE.match(email))


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def validate_registration(email: str, password: str, name: str) -> None:
    """Checks every field and reports all the bad ones at once."""
    v = Validator()
    v.check(is_email(email), "email", "is not an email address")
    v.check(
        PASSWORD_MIN <= len(password) <= PASSWORD_MAX,
        "password",
        f"must be {PASSWORD_MIN} to {PASSWORD_MAX} characters",
    )
    if not 0 < len(name.strip()) <= NAME_MAX:
        v.add("name", f"must be 1 to {NAME_MAX} characters")
    elif has_control_characters(name):
        v.add("name", "must not contain control characters")
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
    family_id: str
    """The sign-in (refresh-token family) the token was issued to: revoking the family
    (logout, a reused refresh token) refuses its access tokens at once."""


@attrs.frozen
class TokenPair:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int
