"""``HEAD`` answered as ``GET`` without the body, on every route outside ``/api/``.

Litestar routes a ``HEAD`` only to a handler declared for it, so a ``GET`` route answers it
``405``; link-preview scrapers (KakaoTalk's, Slack's, Facebook's) and uptime checks send
``HEAD`` before or instead of ``GET`` to the invitation, its share JPEG, its calendar file and
the files and pages around them. RFC 9110 §9.3.2: the same status and headers as ``GET``
(``Content-Length`` included), no body. ``/api/`` is left to its declared methods: it holds the
chat's endless SSE stream, which a ``HEAD`` turned ``GET`` would keep open for nothing.
"""

from __future__ import annotations

from typing import Any, cast

from litestar import Litestar

from entrypoints.http.fast.raw_asgi import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/"


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "HEAD"
            or scope["path"].startswith(API_PREFIX)
        ):
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)


def install_head_as_get(app: Litestar) -> None:
    """Right around the router: the fast paths, the metrics and the log still see ``HEAD``."""
    inner = cast(ASGIApp, app.asgi_handler)
    app.asgi_handler = cast(Any, HeadAsGet(inner))
