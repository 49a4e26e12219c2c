"""The chat submit hot path: ``POST /api/chat`` run before routing, before Litestar builds its
request and before dishka's middleware, for the request every chat client sends: a JSON body
that decodes as ``ChatIn`` and a bearer token that signs in.

Everything else goes on to the Litestar route untouched, with the body it sent: another
content type, a body over ``MOCHEONG_MAX_BODY_BYTES``, one that does not decode or validate,
no token or a refused one. Nothing has happened by then (signing in only reads), so those
answers stay the route's own, byte for byte. Once the submit runs (or signing in fails for
another reason than the token, e.g. a lost database), what it raises is answered
by the app's own exception handlers (``EXCEPTION_HANDLERS``), rendered as Litestar renders
them. The route stays the documented one (OpenAPI) and the answer is the same
``AcceptedOut``.

In one process this path costs about half of what the routed request did
(``bench/submit_cpu.py``): routing, Litestar's request and kwargs machinery, the signature
model and the response machinery are skipped; the use cases are the same.
"""

from __future__ import annotations

from typing import Any, cast

import msgspec
from dishka import AsyncContainer
from litestar import Litestar, Request

from entrypoints.http.api.chat import ChatIn, submit_chat
from entrypoints.http.auth import bearer_token
from entrypoints.http.fast.raw_asgi import ASGIApp, Message, Receive, Scope, Send
from entrypoints.http.problems import EXCEPTION_HANDLERS
from mocheong_core.accounts.usecases import Authenticate
from mocheong_core.chat.usecases import Submit
from mocheong_core.errors import DomainError

PATH = "/api/chat"
_decode = msgspec.json.Decoder(ChatIn).decode
_encode = msgspec.json.Encoder().encode
_HEADERS = [(b"content-type", b"application/json")]


class SubmitFastPath:
    def __init__(
        self, app: ASGIApp, litestar: Litestar, container: AsyncContainer, max_body: int
    ) -> None:
        self._app = app
        self._litestar = litestar
        self._container = container
        self._max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self._app(scope, receive, send)
            return
        content_type = authorization = b""
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"authorization":
                authorization = value
        token = bearer_token(authorization.decode("latin-1"))
        body, chunks = await _read_body(receive, self._max_body)
        replay = _replaying(chunks, receive)
        if token is None or body is None or not content_type.startswith(b"application/json"):
            await self._app(scope, replay, send)
            return
        try:
            data = _decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError):
            await self._app(scope, replay, send)
            return
        async with self._container() as request_scope:
            try:
                user = await (await request_scope.get(Authenticate))(token)
            except DomainError:
                await self._app(scope, replay, send)  # the route refuses it as it always does
                return
            except Exception as exc:  # a lost database or Redis: the same 503 as the route's
                await self._answer_error(scope, replay, send, exc)
                return
            try:
                accepted = await submit_chat(await request_scope.get(Submit), user.id, data)
            except Exception as exc:  # answered as the app's handlers answer it on the route
                await self._answer_error(scope, replay, send, exc)
                return
        payload = _encode(accepted)
        headers = [*_HEADERS, (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 202, "headers": headers})
        await send({"type": "http.response.body", "body": payload, "more_body": False})

    async def _answer_error(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception
    ) -> None:
        handler = next(
            EXCEPTION_HANDLERS[kind] for kind in type(exc).__mro__ if kind in EXCEPTION_HANDLERS
        )
        scope.setdefault("app", self._litestar)
        request: Request[Any, Any, Any] = Request(cast(Any, scope), cast(Any, receive))
        response = handler(request, exc)
        await response.to_asgi_response(None, request)(
            cast(Any, scope), cast(Any, receive), cast(Any, send)
        )


async def _read_body(receive: Receive, limit: int) -> tuple[bytes | None, list[Message]]:
    """The whole body (``None`` when it is over ``limit`` or the client left) and the messages
    read, to replay to the route."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        size += len(message.get("body", b""))
        if size > limit:
            return None, messages
        if not message.get("more_body", False):
            return b"".join(m.get("body", b"") for m in messages), messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that first gives back what was already read."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def install_submit_fast_path(app: Litestar, container: AsyncContainer, max_body: int) -> None:
    """Puts the fast path in front of dishka and the router; call it before the pipeline."""
    inner = cast(ASGIApp, app.asgi_handler)
    app.asgi_handler = cast(Any, SubmitFastPath(inner, app, container, max_body))
