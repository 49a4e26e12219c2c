"""Domain errors: one base class, each subclass with a stable machine ``code``.

The delivery shells map these to problem details in one place; adapters translate their own
exceptions into these before they reach the core's callers.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs


@attrs.frozen
class FieldError:
    """One bad input field: a dotted path (``couple.groom.name``) and why it was refused."""

    field: str
    message: str


class DomainError(Exception):
    code: str = "domain_error"
    title: str = "Request refused"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class ValidationFailed(DomainError):
    code = "validation_error"
    title = "Some fields are not valid"

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or "; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = tuple(errors)


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class RateLimited(DomainError):
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail or f"Too many requests; retry in {retry_after} s")
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    title = "A dependency is unavailable"


class Validator:
    """Collects every field error of one input so a caller learns all of them at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def check(self, ok: bool, field: str, message: str) -> None:
        if not ok:
            self.add(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
