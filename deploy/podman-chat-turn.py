"""One chat turn against a running API, standard library only (deploy/podman-smoke.sh).

Registers a user, makes a page, opens the session's Server-Sent Events stream, submits a
message with POST /api/chat and reads the stream until the reply's final ``newMessage``; then
checks the stored reply has the same text. Exits non-zero (with the reason) otherwise.
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
import uuid
from typing import Any

BASE = sys.argv[1].rstrip("/")
# urlopen would also open file: and custom schemes; only the API's address is wanted here.
if not BASE.startswith(("http://", "https://")):
    sys.exit(f"not an http(s) address: {BASE}")
# The offline model answers in well under a second; the margin is for a loaded machine.
STREAM_SECONDS = 60


def call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    request = urllib.request.Request(BASE + path, method=method)  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(request, data, timeout=30) as response:  # noqa: S310
        return json.load(response)


def read_stream(
    session_id: str, token: str, opened: threading.Event, out: list[tuple[str, Any]]
) -> None:
    request = urllib.request.Request(f"{BASE}/api/chat/sessions/{session_id}/stream")  # noqa: S310
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=STREAM_SECONDS) as response:  # noqa: S310
        opened.set()
        event = ""
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:"):
                data = json.loads(line.removeprefix("data:").strip())
                out.append((event, data))
                ended = data.get("status") not in ("pending", "streaming")
                if event == "newMessage" and data["role"] == "assistant" and ended:
                    return


def main() -> None:
    email = f"smoke-{uuid.uuid4().hex[:12]}@example.com"
    tokens = call(
        "POST",
        "/api/auth/register",
        {"email": email, "password": "smoke-Passw0rd!", "name": "Smoke"},
    )
    token = tokens["access_token"]
    page = call("POST", "/api/pages", {}, token)
    session = call("POST", "/api/chat/sessions", {"page_id": page["id"]}, token)
    opened, events = threading.Event(), list[tuple[str, Any]]()
    reader = threading.Thread(
        target=read_stream, args=(session["session_id"], token, opened, events)
    )
    reader.start()
    if not opened.wait(30):
        sys.exit("the SSE stream did not open")
    accepted = call("POST", "/api/chat", {"page_id": page["id"], "message": "안녕하세요"}, token)
    reader.join(STREAM_SECONDS)
    names = [name for name, _ in events]
    reply = [
        d for n, d in events if n == "newMessage" and d["message_id"] == accepted["message_id"]
    ]
    if not reply:
        sys.exit(f"no final reply on the stream; events seen: {names}")
    stored = call(
        "GET", f"/api/chat/sessions/{session['session_id']}/messages?limit=10", None, token
    )
    mine = next(m for m in stored["items"] if m["id"] == accepted["message_id"])
    text = reply[-1]["content"]
    if mine["status"] in ("pending", "streaming") or text != mine["content"] or not text:
        sys.exit(f"stored reply {mine['status']!r} differs from the streamed one")
    chunks, status = names.count("message-chunk"), mine["status"]
    print(f"chat turn: {chunks} chunks streamed, reply of {len(text)} characters, stored {status}")


if __name__ == "__main__":
    main()
