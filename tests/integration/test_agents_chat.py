"""The agents over the real app on SQLite and Postgres: a conversation with the offline agent
fills the page (``page-updated {by: "agent"}``), shows components and stores its replies; the
same over REST and SSE; greeting ideas as a job."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.integration.accounts_http import Client
from tests.integration.chat_helpers import (
    Frame,
    SseSession,
    chat_client,
    final_of,
    frames_until,
    owner,
    receive,
    send,
    stored,
    submit,
    text_of,
)

__all__ = ["chat_client"]

CONVERSATION = (
    "신랑 김도윤, 신부 박하은이에요.",
    "2027년 10월 9일 오후 1시 30분에 더링크호텔에서 결혼해요.",
    "아 시간은 2시로 바꿔줘",
)


def events(frames: list[Frame], name: str) -> list[dict[str, Any]]:
    return [f["data"] for f in frames if f["event"] == name]


async def test_a_conversation_over_the_websocket_fills_the_page(chat_client: Client) -> None:
    who = await owner(chat_client)
    finals: list[dict[str, Any]] = []
    frames: list[Frame] = []
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        assert receive(ws)["event"] == "session-info"
        for n, text in enumerate(CONVERSATION):
            send(ws, "chat-message", text=text, client_message_id=f"c{n}")
            turn = frames_until(ws, lambda f: f["event"] == "message-accepted")
            reply = turn[-1]["data"]["message_id"]
            turn += frames_until(ws, final_of(reply))
            assert text_of(turn, reply) == turn[-1]["data"]["content"]
            finals.append(turn[-1]["data"])
            frames += turn

    updates = events(frames, "page-updated")
    assert updates
    assert {u["by"] for u in updates} == {"agent"}
    assert {"couple", "ceremony", "venue"} <= {c for u in updates for c in u["changed"]}
    shown = [c["component"]["type"] for c in events(frames, "component")]
    assert "checklist" in shown
    assert "map" in shown
    assert all(f["status"] == "completed" for f in finals)
    assert all(f["metadata"]["offline"] is True for f in finals)
    assert "김도윤" in finals[0]["content"]
    page = (await chat_client.get(f"/api/pages/{who.page_id}", headers=who.headers)).json()
    assert page["couple"]["groom"]["name"] == "김도윤"
    assert page["ceremony"]["starts_at"] == "2027-10-09T14:00:00+09:00"
    assert page["venue"]["name"] == "더링크호텔"
    history = await chat_client.get(f"/api/pages/{who.page_id}/history", headers=who.headers)
    if history.status_code == 200:
        assert {i["by"] for i in history.json()["items"][:3]} == {"agent"}
    message = await stored(chat_client, who, finals[-1]["session_id"], finals[-1]["message_id"])
    assert message["components"] == finals[-1]["components"]
    assert message["metadata"]["agents"][0] == "main"


async def test_a_turn_over_rest_and_sse(chat_client: Client) -> None:
    who = await owner(chat_client)
    opened = await chat_client.post(
        "/api/chat/sessions", json={"page_id": who.page_id}, headers=who.headers
    )
    path = f"/api/chat/sessions/{opened.json()['session_id']}/stream"
    with SseSession(chat_client, path, who.headers) as sse:
        assert sse.next()["event"] == "session-info"
        accepted = await submit(chat_client, who, CONVERSATION[0])
        seen = sse.until(
            lambda f: (
                f.get("event") == "newMessage" and f["data"]["message_id"] == accepted["message_id"]
            )
        )
    [update] = [f["data"] for f in seen if f.get("event") == "page-updated"]
    assert (update["by"], update["changed"]) == ("agent", ["couple"])
    assert [f["data"]["component"]["type"] for f in seen if f.get("event") == "component"] == [
        "checklist"
    ]
    assert seen[-1]["data"]["status"] == "completed"


async def test_greeting_ideas_come_from_a_job_announced_in_the_room(chat_client: Client) -> None:
    who = await owner(chat_client)
    document = {
        "couple": {"groom": {"name": "김도윤"}, "bride": {"name": "박하은"}},
        "venue": {"name": "더링크호텔"},
    }
    patched = await chat_client.patch(
        f"/api/pages/{who.page_id}", json=document, headers=who.headers
    )
    assert patched.status_code == 200
    with await chat_client.websocket_connect(f"/ws/chat?token={who.token}") as ws:
        send(ws, "joinRoom", room=who.room)
        assert receive(ws)["event"] == "session-info"
        started = await chat_client.post(
            "/api/ai/inspire",
            json={"page_id": who.page_id, "tone": "formal", "count": 2},
            headers=who.headers,
        )
        assert started.status_code == 202, started.text
        job_id = started.json()["job_id"]
        [done] = frames_until(ws, lambda f: f["event"] == "job-completed")[-1:]
    assert done["data"] == {"job_id": job_id, "kind": "ai.inspire", "status": "succeeded"} | {
        "cursor": done["data"]["cursor"]
    }
    job = (await chat_client.get(f"/api/jobs/{job_id}", headers=who.headers)).json()
    assert job["status"] == "succeeded"
    drafts = job["result"]["suggestions"]
    assert len(drafts) == 2
    assert all("김도윤" in d and "더링크호텔" in d for d in drafts)


async def test_inspire_refuses_bad_input_and_strangers(chat_client: Client) -> None:
    who = await owner(chat_client)
    stranger = await owner(chat_client, "남")
    bad = await chat_client.post(
        "/api/ai/inspire",
        json={"page_id": who.page_id, "tone": "sad", "count": 9},
        headers=who.headers,
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "validation_error"
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["count", "tone"]
    theirs = await chat_client.post(
        "/api/ai/inspire", json={"page_id": who.page_id}, headers=stranger.headers
    )
    assert theirs.status_code == 404
    anonymous = await chat_client.post("/api/ai/inspire", json={"page_id": who.page_id})
    assert anonymous.status_code == 401
    await asyncio.sleep(0)
