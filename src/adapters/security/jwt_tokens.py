from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime, timedelta

import attrs
import jwt

from mocheong_core.accounts.errors import InvalidToken
from mocheong_core.accounts.model import AccessClaims, Role
from mocheong_core.kernel.ids import new_id

ALGORITHM = "HS256"
ISSUER = "mocheong"
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second datetime can hold
CLOCK_SKEW = timedelta(seconds=30)
CHECKED_TOKENS = 4096
"""Tokens whose signature and claims each process remembers having checked."""
MIN_SECRET_CHARS = 32


@attrs.frozen
class _Checked:
    claims: AccessClaims
    issued_at: datetime


def _is_timestamp(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_TIMESTAMP


class JwtAccessTokens:
    """HS256 access tokens. Only HS256 is accepted, so ``alg: none`` and key confusion fail."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        if len(secret) < MIN_SECRET_CHARS:
            # An empty or short HMAC key makes every token forgeable; never sign with one.
            raise ValueError(f"the access-token key must be at least {MIN_SECRET_CHARS} characters")
        self._secret = secret
        self.ttl_seconds = ttl_seconds
        # A client sends the same token with every request for its lifetime: the signature
        # and the claims are checked once, the times on every use.
        self._checked: OrderedDict[str, _Checked] = OrderedDict()

    def issue(self, user_id: str, role: Role, now: datetime, family_id: str) -> str:
        claims = {
            "sub": user_id,
            "fam": family_id,
            "role": role.value,
            "type": "access",
            "iss": ISSUER,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": new_id(),
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, now: datetime) -> AccessClaims:
        checked = self._checked.get(token)
        if checked is None:
            checked = self._check(token)
            self._checked[token] = checked
            if len(self._checked) > CHECKED_TOKENS:
                self._checked.popitem(last=False)
        else:
            self._checked.move_to_end(token)
        if checked.claims.expires_at <= now:
            raise InvalidToken("The token has expired")
        if checked.issued_at > now + CLOCK_SKEW:
            raise InvalidToken("The token is not valid yet")
        return checked.claims

    def _check(self, token: str) -> _Checked:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                # The times are checked in `verify` against the injected clock, not the wall clock,
                # so every process and test agrees on what "now" is.
                options={
                    "require": ["exp", "iat", "sub", "type", "fam"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            raise InvalidToken from None
        exp, iat = claims["exp"], claims["iat"]
        if not (_is_timestamp(exp) and _is_timestamp(iat)):
            raise InvalidToken
        if claims.get("type") != "access":
            raise InvalidToken("Not an access token")
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise InvalidToken from None
        if not isinstance(claims["fam"], str):
            raise InvalidToken
        expires_at = datetime.fromtimestamp(exp, UTC)
        return _Checked(
            AccessClaims(
                user_id=str(claims["sub"]),
                role=role,
                expires_at=expires_at,
                family_id=claims["fam"],
            ),
            datetime.fromtimestamp(iat, UTC),
        )
