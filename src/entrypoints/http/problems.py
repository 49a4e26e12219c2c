"""Every error becomes an RFC 9457 problem: one handler per family, in one place."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from mocheong_core.errors import DomainError, RateLimited, ValidationFailed

PROBLEM = "application/problem+json"
log = structlog.get_logger("mocheong.http")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"https://mocheong.app/problems/{code.replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def on_domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [{"field": e.field, "message": e.message} for e in exc.errors]
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem(exc.status, exc.code, exc.title, exc.detail, headers=headers, **extra)


def _field_of(key: str | None, message: str) -> str:
    if key:
        return key
    # msgspec says where a value was refused as "at `$.a.b`".
    if "`$." in message:
        return message.split("`$.", 1)[1].split("`", 1)[0]
    return "body"


def on_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            message = str(item.get("message", "is not valid"))
            errors.append({"field": _field_of(item.get("key"), message), "message": message})
    if not errors:
        errors.append({"field": "body", "message": exc.detail})
    return problem(422, "validation_error", "Some fields are not valid", exc.detail, errors=errors)


def on_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http_error")
    if status == 400 and "malformed" in str(exc.detail).lower():
        code = "malformed_json"
    headers = dict(exc.headers or {})
    return problem(status, code, code.replace("_", " ").capitalize(), exc.detail, headers=headers)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("unhandled_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; the request id identifies it.",
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: on_domain_error,
    ValidationException: on_validation,
    HTTPException: on_http,
    Exception: on_unexpected,
}
