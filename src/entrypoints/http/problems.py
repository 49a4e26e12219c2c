"""Every error becomes an RFC 9457 problem: one handler per family, in one place."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.routes import BaseRoute, HTTPRoute
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState
from redis import exceptions as redis_exc
from sqlalchemy import exc as sa_exc

from entrypoints.http.statuses import status_of
from mocheong_core.errors import DomainError, RateLimited, ServiceUnavailable, ValidationFailed

PROBLEM = "application/problem+json"
log = structlog.get_logger("mocheong.http")
RETRY_AFTER_SECONDS = 5
"""What a 503 tells the client to wait before trying again."""
UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    redis_exc.ConnectionError,
    redis_exc.TimeoutError,
    ServiceUnavailable,
)
"""What a lost database or Redis raises: the service's trouble, answered 503."""

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


class FieldProblem(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details plus a stable machine ``code``; some carry more members."""

    type: str
    title: str
    status: int
    detail: str
    code: str


class ValidationProblem(Problem, kw_only=True):
    errors: list[FieldProblem]


_NOT_CLIENT_INPUT = frozenset({"request", "scope", "socket", "state", "headers", "cookies"})
_PROBLEM_DOC = ResponseSpec(Problem, description="Problem details", media_type=PROBLEM)


class ProblemDocsPlugin(ReceiveRoutePlugin):
    """Documents the problem bodies in the OpenAPI document: a ``default`` response for every
    operation, and 400 / 422 for those that take input (replacing Litestar's own 400 shape)."""

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            documented: dict[Any, ResponseSpec] = {"default": _PROBLEM_DOC}
            if set(handler.parsed_fn_signature.parameters) - _NOT_CLIENT_INPUT:
                documented[400] = _PROBLEM_DOC
                documented[422] = ResponseSpec(
                    ValidationProblem, description="Some fields are not valid", media_type=PROBLEM
                )
            handler.responses = {**documented, **(handler.responses or {})}


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
    if isinstance(exc, ServiceUnavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    status = status_of(exc)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return problem(status, exc.code, exc.title, exc.detail, headers=headers, **extra)


def _field_of(key: str | None, message: str) -> str:
    if key == "data":  # Litestar's name for the whole body
        return "body"
    if key:
        return key
    # msgspec says where a value was refused as "at `$.a.b`".
    if "`$." in message:
        return message.split("`$.", 1)[1].split("`", 1)[0]
    return "body"


def _enum_message(annotation: Any, message: str) -> str:
    """msgspec's "Invalid enum value 'x'" made useful: the values the field takes."""
    if not message.startswith("Invalid enum value"):
        return message
    info = msgspec.inspect.type_info(annotation)
    arms = info.types if isinstance(info, msgspec.inspect.UnionType) else (info,)
    for arm in arms:
        kind = arm.type if isinstance(arm, msgspec.inspect.Metadata) else arm
        if isinstance(kind, msgspec.inspect.EnumType):
            return "must be one of: " + ", ".join(str(member.value) for member in kind.cls)
    return message


def _body_errors(request: Request[Any, Any, Any]) -> list[dict[str, str]]:
    """Every bad field of a JSON body, where Litestar (through msgspec) names only the first.

    Each field of the handler's ``data`` struct is converted on its own from the JSON Litestar
    already parsed, so a client fixing its request learns all its mistakes at once.
    """
    parameter = request.route_handler.parsed_fn_signature.parameters.get("data")
    raw = ScopeState.from_scope(request.scope).json
    struct = parameter.annotation if parameter else None
    if raw is Empty or raw is None:
        return [{"field": "body", "message": "a JSON body is required"}]
    if not (isinstance(struct, type) and issubclass(struct, msgspec.Struct)):
        return []
    if not isinstance(raw, dict):
        return [{"field": "body", "message": "must be a JSON object"}]
    errors = []
    for field in msgspec.structs.fields(struct):
        if field.encode_name not in raw:
            if field.required:
                errors.append({"field": field.encode_name, "message": "is required"})
            continue
        try:
            msgspec.convert(raw[field.encode_name], field.type, strict=False, str_keys=True)
        except msgspec.ValidationError as exc:
            message, _, where = str(exc).partition(" - at `$")
            message = _enum_message(field.type, message) if not where else message
            errors.append({"field": field.encode_name + where.rstrip("`"), "message": message})
    return errors


def on_validation(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    items = (
        [item for item in exc.extra if isinstance(item, dict)]
        if isinstance(exc.extra, list)
        else []
    )
    errors = []
    if any(item.get("source") == "body" for item in items):
        errors = _body_errors(request)
        if errors:
            items = [item for item in items if item.get("source") != "body"]
    parameters = request.route_handler.parsed_fn_signature.parameters
    for item in items:
        message = str(item.get("message", "is not valid"))
        parameter = parameters.get(str(item.get("key")))
        if parameter is not None:
            message = _enum_message(parameter.annotation, message)
        errors.append({"field": _field_of(item.get("key"), message), "message": message})
    if not errors:
        errors.append({"field": "body", "message": exc.detail})
    return problem(422, "validation_error", "Some fields are not valid", exc.detail, errors=errors)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def on_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http_error")
    title = _phrase(status)
    if status == 400 and isinstance(exc.__cause__, SerializationException):
        code, title = "malformed_json", "Malformed JSON"
    headers = dict(exc.headers or {})
    return problem(status, code, title, exc.detail, headers=headers)


UNAVAILABLE_DETAIL = "The service cannot reach one of its dependencies; try again shortly."


def on_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # A lost database or Redis connection is the service's trouble, not the request's: 503 tells
    # the client to retry, and nothing half-done was committed (the session rolls back).
    log.warning("dependency_unavailable", path=request.url.path, error=type(exc).__name__)
    return problem(
        503,
        "service_unavailable",
        ServiceUnavailable.title,
        UNAVAILABLE_DETAIL,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def on_data_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # The database refused a value the request carried (e.g. a NUL character in Postgres text).
    log.info("value_refused_by_database", path=request.url.path, error=type(exc).__name__)
    return problem(
        400,
        "invalid_value",
        "Bad Request",
        "A value in the request cannot be stored or looked up.",
    )


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("unhandled_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal error",
        "Something went wrong on our side; the request id identifies it.",
    )


def on_too_deep(_: Request[Any, Any, Any], __: RecursionError) -> Response[dict[str, Any]]:
    # The JSON decoder gives up on bodies nested thousands of levels deep; nothing else in a
    # request can recurse that far, so this is the client's input, not our failure.
    return problem(
        400, "malformed_json", "The body is not valid JSON", "The body is nested too deeply"
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    RecursionError: on_too_deep,
    DomainError: on_domain_error,
    ValidationException: on_validation,
    HTTPException: on_http,
    **{kind: on_unavailable for kind in UNAVAILABLE if kind is not ServiceUnavailable},
    sa_exc.DataError: on_data_error,
    Exception: on_unexpected,
}
