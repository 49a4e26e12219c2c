"""The HTTP status of each domain error, keyed by the error's stable ``code``.

The core says what went wrong; which status a refusal travels with is the web's business, so
the numbers live here and not on the errors. A code that is not listed takes the status of
its nearest listed ancestor (``EmailTaken`` is a ``Conflict``: 409). Every direct subclass of
``DomainError`` in the core must be listed (``tests/unit/test_http_statuses.py``), so a new
family of errors gets a status chosen on purpose rather than the generic 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from mocheong_core.errors import DomainError

STATUS_BY_CODE: Mapping[str, int] = MappingProxyType(
    {
        "domain_error": 400,
        "validation_error": 422,
        "not_found": 404,
        "unauthorized": 401,
        "forbidden": 403,
        "conflict": 409,
        "rate_limited": 429,
        "service_unavailable": 503,
        # accounts: a disabled account is told to sign in again, as an expired token is
        "account_disabled": 401,
        # files
        "unsupported_media_type": 415,
        "file_too_large": 413,
        "image_too_large": 422,
        # chat: a write from an attempt that lost its lease, or a run the owner cancelled
        "stale_attempt": 409,
        "cancelled": 409,
        # pages
        "premium_required": 402,
        # guests' album: closed (off, not premium, locked after the wedding), full, or a
        # removed photo approved
        "album_closed": 409,
        "album_full": 409,
        "photo_removed": 409,
        # payments: the gateway's answer does not match the order, or it has no such payment
        "payment_mismatch": 409,
        "payment_not_found": 409,
        "gateway_refused": 502,
        "invalid_webhook_signature": 401,
    }
)


def status_of(error: type[DomainError] | DomainError) -> int:
    """The status for ``error``: its own code's, else the nearest listed ancestor's."""
    kind = error if isinstance(error, type) else type(error)
    for cls in kind.__mro__:
        code = cls.__dict__.get("code")
        if isinstance(code, str) and code in STATUS_BY_CODE:
            return STATUS_BY_CODE[code]
    return STATUS_BY_CODE["domain_error"]
