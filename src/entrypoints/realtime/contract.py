"""The chat's real-time contract as an AsyncAPI 3 document, ``GET /schema/asyncapi.json``.

It is built from what the code uses: the client's events are the protocol's handlers
(``ChatProtocol``) with the structs it decodes their data into (``protocol.py``), the room's
events are the core's ``EventKind``s. The payloads of what the server sends are described by
the structs below; ``tests/integration/test_chat_contract.py`` checks every event a real turn
sends against them, and the document against the AsyncAPI 3.0.0 schema.

One set of messages, three ways to carry them: the raw WebSocket ``/ws/chat`` (each frame is
``{"event": name, "data": payload}``), Socket.IO (``/socket.io``, namespace ``/chat``: the
event's name and the payload as its one argument) and SSE (``event:`` the name, ``data:`` the
payload; server events only).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Final

import msgspec
from litestar import get

from entrypoints.realtime.protocol import AuthIn, CancelIn, JoinIn, MessageIn, ResumeIn
from mocheong_core.chat.stream import EventKind

VERSION: Final = "0.1.0"


class _Out(msgspec.Struct, forbid_unknown_fields=True):
    """A payload the server sends: the document forbids fields it does not list."""


class Empty(_Out):
    pass


class SessionInfo(_Out):
    session_id: str
    room: str
    page_id: str


class MessageAccepted(_Out):
    message_id: str
    client_message_id: str | None
    session_id: str
    user_message_id: str
    duplicate: bool


class FieldProblem(_Out):
    field: str
    message: str


class ErrorOut(_Out):
    code: str
    message: str
    retry_after: float | None = None
    errors: list[FieldProblem] | None = None
    # The refused request: its event (absent for a frame that could not be read) and its own
    # key (`protocol.REQUEST_KEYS`) when it carried one.
    event: str | None = None
    message_id: str | None = None
    client_message_id: str | None = None
    room: str | None = None
    session_id: str | None = None


class MessageChunk(_Out):
    message_id: str
    seq: int
    delta: str
    cursor: str


class Component(_Out):
    message_id: str
    seq: int
    component: dict[str, Any]
    cursor: str


class NewMessage(_Out):
    message_id: str
    session_id: str
    role: str
    content: str
    components: list[dict[str, Any]]
    status: str
    attempt: int
    metadata: dict[str, Any]
    created_at: str
    cursor: str
    client_message_id: str | None = None
    reply_to: str | None = None
    seq: int | None = None


class StreamReset(_Out):
    reason: str
    cursor: str
    message_id: str | None = None


class MessageCancelled(_Out):
    message_id: str
    cursor: str


class PageUpdated(_Out):
    page_id: str
    version: int
    changed: list[str]
    by: str
    cursor: str


class JobCompleted(_Out):
    job_id: str
    kind: str
    status: str
    cursor: str


CLIENT_EVENTS: Final[dict[str, tuple[type[msgspec.Struct], str]]] = {
    "auth": (AuthIn, "A fresh access token on an open connection (raw WebSocket: also the "
             "first frame when the URL carries no token)"),
    "joinRoom": (JoinIn, "Enter the page's room (`page-{page_id}`); answered by `session-info`"),
    "resume": (ResumeIn, "Enter the session's room after `cursor`: the missed events, then "
               "live ones; without a cursor the room's recent messages first"),
    "chat-message": (MessageIn, "Send a message; answered by `message-accepted`"),
    "cancel": (CancelIn, "Stop a reply; the room gets `message-cancelled`"),
    "ping": (Empty, "Answered by `pong`"),
}  # fmt: skip
ANSWERS: Final[dict[str, tuple[type[msgspec.Struct], str]]] = {
    "session-info": (SessionInfo, "The room the client has entered"),
    "message-accepted": (MessageAccepted, "The message was stored; the reply will stream"),
    "pong": (Empty, "The answer to `ping`"),
    "error": (ErrorOut, "A refused event; the connection stays open"),
}
ROOM_EVENTS: Final[dict[EventKind, tuple[type[msgspec.Struct], str]]] = {
    EventKind.CHUNK: (MessageChunk, "A text delta; `seq` starts at 1 per message, no gaps"),
    EventKind.COMPONENT: (Component, "A UI component an agent produced"),
    EventKind.MESSAGE: (NewMessage, "A stored message (the user's too); a reply's final one"),
    EventKind.RESET: (StreamReset, "Discard the partial text of `message_id` (or, without "
                      "one, what the client holds of the room: a snapshot follows)"),
    EventKind.CANCELLED: (MessageCancelled, "The reply was cancelled"),
    EventKind.PAGE_UPDATED: (PageUpdated, "The page changed"),
    EventKind.JOB_COMPLETED: (JobCompleted, "A background job of the page ended"),
}  # fmt: skip
_REPLIES = {"joinRoom": "session-info", "resume": "session-info", "chat-message":
            "message-accepted", "ping": "pong"}  # fmt: skip


def server_events() -> dict[str, tuple[type[msgspec.Struct], str]]:
    return {**ANSWERS, **{kind.value: entry for kind, entry in ROOM_EVENTS.items()}}


@cache
def asyncapi_document() -> dict[str, Any]:
    incoming, outgoing = CLIENT_EVENTS, server_events()
    kinds = [kind for kind, _ in (*incoming.values(), *outgoing.values())]
    _, schemas = msgspec.json.schema_components(kinds, ref_template="#/components/schemas/{name}")
    messages = {
        name: {
            "name": name,
            "title": name,
            "summary": summary,
            "payload": {"$ref": f"#/components/schemas/{kind.__name__}"},
        }
        for name, (kind, summary) in (*incoming.items(), *outgoing.items())
    }
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for channel, address, server, carries in (
        ("websocket", "/ws/chat", "websocket", 'each frame is {"event": name, "data": payload}'),
        ("socketio", "/chat", "socketio", "the Socket.IO event's name, the payload its argument"),
    ):  # fmt: skip
        channels[channel] = {
            "address": address,
            "title": f"The chat over {server}",
            "description": f"One message per event: {carries}.",
            "servers": [{"$ref": f"#/servers/{server}"}],
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in messages},
        }
        for name in incoming:
            operation: dict[str, Any] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
            }
            if name in _REPLIES:
                operation["reply"] = {
                    "channel": {"$ref": f"#/channels/{channel}"},
                    "messages": [
                        {"$ref": f"#/channels/{channel}/messages/{_REPLIES[name]}"},
                        {"$ref": f"#/channels/{channel}/messages/error"},
                    ],
                }
            operations[f"{channel}-{name}"] = operation
        operations[f"{channel}-send"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"} for name in outgoing],
        }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Mocheong chat",
            "version": VERSION,
            "description": (
                "The chat's events over the raw WebSocket and Socket.IO (docs/realtime.md). "
                "SSE (`GET /api/chat/sessions/{id}/stream`) carries the server's events too."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "websocket": {
                "host": "localhost:8000",
                "protocol": "ws",
                "pathname": "/ws/chat",
                "description": "The token as `?token=` or in a first `auth` frame; 4401 if bad",
            },
            "socketio": {
                "host": "localhost:8000",
                "protocol": "ws",
                "pathname": "/socket.io/",
                "description": (
                    "Socket.IO v4, namespace `/chat`, the token in the connect packet's "
                    "`auth: {token}`; polling (sticky sessions) or WebSocket. A client that "
                    "passes an acknowledgement callback gets the reply as `{event, data}`."
                ),
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


@get("/schema/asyncapi.json", include_in_schema=False, media_type="application/json")
async def asyncapi_json() -> dict[str, Any]:
    """The chat's AsyncAPI 3 document."""
    return asyncapi_document()
