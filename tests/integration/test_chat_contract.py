"""The AsyncAPI document of the chat (``/schema/asyncapi.json``): valid AsyncAPI 3.0.0 (the
schema from the npm package ``@asyncapi/specs``, pinned in ``tests/js``), naming every event
the protocol answers and the core sends, and describing every event of a real turn, refusal
and resume exactly (no field it does not list)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from entrypoints.realtime.contract import CLIENT_EVENTS, ROOM_EVENTS, asyncapi_document
from entrypoints.realtime.protocol import HANDLERS
from mocheong_core.chat.stream import EventKind
from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import (
    Frame,
    chat_client,
    final_of,
    frames_until,
    owner,
    receive,
    send,
)
from tests.integration.socketio_helpers import JS, js_packages

__all__ = ["chat_client"]


def asyncapi_validator() -> jsonschema.Draft7Validator:
    js_packages()
    root = json.loads((JS / "node_modules/@asyncapi/specs/schemas/3.0.0.json").read_text())
    resources = [
        (key, Resource.from_contents(value, default_specification=DRAFT7))
        for key, value in root.get("definitions", {}).items()
    ]
    registry: Registry[Any] = Registry().with_resources(resources)
    return jsonschema.Draft7Validator(root, registry=registry)


async def test_the_document_is_valid_asyncapi_3(chat_client: Client) -> None:
    response = await chat_client.get("/schema/asyncapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document == json.loads(json.dumps(asyncapi_document()))
    errors = [e.message for e in asyncapi_validator().iter_errors(document)]
    assert errors == []


def test_a_broken_document_is_refused_by_the_schema() -> None:
    document = json.loads(json.dumps(asyncapi_document()))
    document["operations"]["websocket-joinRoom"]["action"] = "listen"
    assert not asyncapi_validator().is_valid(document)


def test_the_document_names_every_event_of_the_code() -> None:
    assert set(CLIENT_EVENTS) == set(HANDLERS)
    assert set(ROOM_EVENTS) == set(EventKind)


def payload_validator(event: str) -> jsonschema.Draft202012Validator:
    document = asyncapi_document()
    message = document["components"]["messages"][event]
    schema = {**message["payload"], "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def check(frames: list[Frame]) -> None:
    for frame in frames:
        errors = [e.message for e in payload_validator(frame["event"]).iter_errors(frame["data"])]
        assert errors == [], frame


@pytest.mark.parametrize("cursor", [None, "first"])
async def test_every_event_of_a_turn_is_as_the_document_says(
    chat_client: Client, cursor: str | None
) -> None:
    who = await owner(chat_client)
    stranger = await owner(chat_client, "타인")
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=stranger.room)
        send(ws, "chat-message", text="   ")
        send(ws, "ping")
        frames = [receive(ws), receive(ws), receive(ws)]
        send(ws, "joinRoom", room=who.room)
        frames.append(receive(ws))
        send(ws, "chat-message", text="2027년 5월 15일", client_message_id="c1")
        frames += frames_until(ws, lambda f: f["event"] == "message-accepted")
        reply = frames[-1]["data"]["message_id"]
        frames += frames_until(ws, final_of(reply))
    session_id = frames[3]["data"]["session_id"]
    first = next(f["data"]["cursor"] for f in frames[4:] if "cursor" in f["data"])
    start = first if cursor else None
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "resume", session_id=session_id, cursor=start)
        frames += frames_until(ws, final_of(reply))

    assert {f["event"] for f in frames} >= {
        "error", "pong", "session-info", "message-accepted", "message-chunk", "component",
        "newMessage",
    }  # fmt: skip
    check(frames)
