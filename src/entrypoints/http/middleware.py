"""One pure ASGI middleware for what every response needs: the request id, security headers,
an access log line and the Prometheus counters. Pure ASGI keeps the hot path short.

It wraps the whole application (``install_pipeline``), not only the route handlers, so answers
Litestar gives before any handler runs (404, 405, 413, CORS preflight) carry the same headers,
and an exception that escapes everything still becomes a problem response.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import structlog
from litestar import Litestar, Response
from litestar.config.cors import CORSConfig
from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware._internal.cors import CORSMiddleware
from litestar.status_codes import HTTP_400_BAD_REQUEST
from litestar.types import (
    ASGIApp,
    HTTPDisconnectEvent,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    ReceiveMessage,
    Scope,
    Send,
)
from prometheus_client import Counter, Histogram

from entrypoints.http.problems import (
    RETRY_AFTER_SECONDS,
    UNAVAILABLE,
    UNAVAILABLE_DETAIL,
    problem,
)
from mocheong_core.errors import ServiceUnavailable
from mocheong_core.kernel.ids import new_id

REQUESTS = Counter("mocheong_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "mocheong_http_request_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
MAX_ADDRESS = 64
QUIET_PATHS = ("/i/", "/api/public/pages/", "/health", "/metrics", "/static/")
log = structlog.get_logger("mocheong.access")

API_CSP = b"default-src 'none'; frame-ancestors 'none'"
BASE_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# The OpenAPI viewers run scripts of this origin only (vendored, started from a file, see
# http/viewers.py); they set style attributes and inline SVG icons as they render.
DOCS_CSP = (
    b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'"
)


INTERNAL_ERROR_BODY = json.dumps(
    {
        "type": "https://mocheong.app/problems/internal-error",
        "title": "Internal error",
        "status": 500,
        "detail": "Something went wrong on our side; the request id identifies it.",
        "code": "internal_error",
    }
).encode()
UNAVAILABLE_BODY = json.dumps(
    {
        "type": "https://mocheong.app/problems/service-unavailable",
        "title": ServiceUnavailable.title,
        "status": 503,
        "detail": UNAVAILABLE_DETAIL,
        "code": "service_unavailable",
    }
).encode()


def install_pipeline(
    app: Litestar,
    cors: CORSConfig | None,
    trusted_proxy_hops: int = 0,
    body_timeout: float | None = None,
) -> None:
    """Makes the body deadline, CORS and then the pipeline the outermost layers; call it
    after every other wrapper (dishka's) is set up."""
    handler = app.asgi_handler
    if body_timeout is not None:
        handler = BodyDeadlineMiddleware(handler, body_timeout)
    if cors is not None:
        handler = ProblemCORSMiddleware(handler, cors)
    app.asgi_handler = PipelineMiddleware(handler, trusted_proxy_hops)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DISCONNECT: HTTPDisconnectEvent = {"type": "http.disconnect"}
REQUEST_TIMEOUT_BODY = json.dumps(
    {
        "type": "https://mocheong.app/problems/request-timeout",
        "title": "Request Timeout",
        "status": 408,
        "detail": "The request's body did not arrive in time.",
        "code": "request_timeout",
    }
).encode()


class BodyDeadlineMiddleware:
    """A request has ``timeout`` seconds, from when its headers came, to send its whole body
    (slow bodies: a client dripping a body holds a connection as long as it likes, on either
    ASGI server). Past it the app is told the client left, and the client gets a 408 problem
    and a closed connection. Requests without a body pay one method test."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        deadline = time.monotonic() + self.timeout
        state = {"done": False, "late": False, "started": False}

        async def timed_receive() -> ReceiveMessage:
            if state["late"]:
                return _DISCONNECT
            if state["done"]:
                return await receive()
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    message = await receive()
            except TimeoutError:
                state["late"] = True
                return _DISCONNECT
            if message["type"] != "http.request" or not message.get("more_body", False):
                state["done"] = True
            return message

        async def guarded_send(message: Message) -> None:
            if state["late"]:
                return  # the app's answer to a client that "left": the 408 replaces it
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, timed_receive, guarded_send)
        except Exception:
            if not state["late"]:
                raise
        if state["late"] and not state["started"]:
            log.warning("request_body_late", path=scope.get("path", ""))
            headers = [
                (b"content-type", b"application/problem+json"),
                (b"connection", b"close"),
            ]
            await send(
                HTTPResponseStartEvent(type="http.response.start", status=408, headers=headers)
            )
            await send(
                HTTPResponseBodyEvent(
                    type="http.response.body", body=REQUEST_TIMEOUT_BODY, more_body=False
                )
            )


def use_forwarded_client(scope: Scope, hops: int) -> None:
    """Puts the address the trusted proxies saw in ``scope["client"]``.

    Each proxy appends the address it received the request from, so the entry ``hops`` from
    the right was written by the outermost trusted proxy; anything left of it is whatever the
    client claimed and is ignored.
    """
    values = [
        value.decode("latin-1") for name, value in scope["headers"] if name == b"x-forwarded-for"
    ]
    chain = [part.strip() for part in ",".join(values).split(",") if part.strip()]
    if len(chain) >= hops and len(chain[-hops]) <= MAX_ADDRESS:
        scope["client"] = (chain[-hops], 0)


class ProblemCORSMiddleware(CORSMiddleware):
    """Litestar's CORS handling, but a refused preflight is a problem like every other error."""

    def _create_preflight_response(self, origin: str, request_headers: Headers) -> Response[Any]:
        response = super()._create_preflight_response(origin, request_headers)
        if response.status_code != HTTP_400_BAD_REQUEST:
            return response
        return problem(HTTP_400_BAD_REQUEST, "cors_refused", "Bad Request", str(response.content))


def request_id_of(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _SAFE_ID.match(text):
                return text
            break
    return new_id()


class PipelineMiddleware:
    def __init__(self, app: ASGIApp, trusted_proxy_hops: int = 0) -> None:
        self.app = app
        self.trusted_proxy_hops = trusted_proxy_hops

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        is_http = scope["type"] == "http"  # type: ignore[comparison-overlap]
        if self.trusted_proxy_hops:
            use_forwarded_client(scope, self.trusted_proxy_hops)
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        # Holds the status once the response has started; none means it has not.
        status_holder: dict[str, int] = {}
        path = scope.get("path", "")
        csp = DOCS_CSP if path.startswith("/schema") else API_CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.append((b"x-request-id", request_id.encode()))
                headers.extend(h for h in BASE_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", csp))
                message["headers"] = headers
            await send(message)

        try:
            # A WebSocket's frames need nothing of the wrapper: they go straight to the server.
            await self.app(scope, receive, send_wrapper if is_http else send)
        except Exception as exc:
            if not is_http or status_holder:
                raise
            # Reached only when something outside the exception handlers failed (e.g. closing
            # the request's dependencies): the client still gets a problem, never a bare 500,
            # and a lost database or Redis is the same 503 as everywhere else.
            headers = [(b"content-type", b"application/problem+json")]
            if isinstance(exc, UNAVAILABLE):
                log.warning("dependency_unavailable", path=path, error=type(exc).__name__)
                status, body = 503, UNAVAILABLE_BODY
                headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
            else:
                log.error("unhandled_error", path=path, error=type(exc).__name__, exc_info=exc)
                status, body = 500, INTERNAL_ERROR_BODY
            await send_wrapper(
                HTTPResponseStartEvent(type="http.response.start", status=status, headers=headers)
            )
            await send_wrapper(
                HTTPResponseBodyEvent(type="http.response.body", body=body, more_body=False)
            )
        finally:
            if is_http:
                elapsed = time.perf_counter() - started
                route = scope.get("path_template") or "unmatched"
                method = scope.get("method", "")
                status = status_holder.get("status", 500)
                REQUESTS.labels(method, route, str(status)).inc()
                LATENCY.labels(method, route).observe(elapsed)
                # The guests' hot paths would double their cost with a log line each; the
                # Prometheus counters still see them.
                quiet = path.startswith(QUIET_PATHS) and method == "GET"
                if status >= 500 or not quiet:
                    log.info(
                        "request",
                        method=method,
                        path=path,
                        status=status,
                        ms=round(elapsed * 1000, 2),
                    )
            structlog.contextvars.unbind_contextvars("request_id")
