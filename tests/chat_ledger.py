"""A chat client's view of a room, rebuilt from the frames it receives, with the checks of the
streaming promise: no gap and no duplicate in any message's chunks, and the text a client
ends with equal to the stored one. Shared by the short chaos test and ``bench/chaos.py``.

Frames are the wire form ``{"event": name, "data": {...}}``. A ``stream-reset`` of a message
starts it over (its chunks come again from ``seq`` 1). A snapshot's reset may be followed by
the chunks still held, from ``seq`` 1, or by none: then the client knows it lacks the partial
text (it is "muted", which is not a gap) until the message restarts or ends.
"""

from __future__ import annotations

from typing import Any

import attrs

SNAPSHOT_REASONS = frozenset({"snapshot", "history_lost"})


@attrs.define
class MessageView:
    deltas: list[str] = attrs.Factory(list)
    next_seq: int = 1
    muted: bool = False
    final: dict[str, Any] | None = None
    resets: int = 0

    @property
    def text(self) -> str:
        return "".join(self.deltas)


@attrs.define
class Ledger:
    messages: dict[str, MessageView] = attrs.Factory(dict)
    cursor: str | None = None
    frames: int = 0
    gaps: int = 0
    duplicates: int = 0
    after_final: int = 0
    snapshots: int = 0
    problems: list[str] = attrs.Factory(list)

    def view(self, message_id: str) -> MessageView:
        return self.messages.setdefault(message_id, MessageView())

    def apply(self, frame: dict[str, Any]) -> None:
        self.frames += 1
        event, data = frame["event"], frame.get("data") or {}
        if "cursor" in data:
            self.cursor = data["cursor"]
        if event in ("message-chunk", "component"):
            self._part(event, data)
        elif event == "stream-reset":
            self._reset(data)
        elif event == "newMessage":
            self._final(data)

    def _part(self, event: str, data: dict[str, Any]) -> None:
        message_id, seq = data["message_id"], int(data["seq"])
        view = self.view(message_id)
        if view.final is not None:
            self.after_final += 1
            self.problems.append(f"{event} {message_id} seq {seq} after its final message")
            return
        if view.muted and seq != 1:
            return  # the client was told it lacks this message's partial text
        if seq == 1 and view.muted:
            view.muted, view.deltas, view.next_seq = False, [], 1
        if seq < view.next_seq:
            self.duplicates += 1
            self.problems.append(f"duplicate {event} {message_id} seq {seq}")
            return
        if seq > view.next_seq:
            self.gaps += 1
            self.problems.append(f"gap in {message_id}: seq {view.next_seq}..{seq - 1} missing")
        if event == "message-chunk":
            view.deltas.append(data.get("delta", ""))
        view.next_seq = seq + 1

    def _reset(self, data: dict[str, Any]) -> None:
        message_id = data.get("message_id")
        reason = data.get("reason", "")
        if reason in SNAPSHOT_REASONS:
            self.snapshots += 1
        targets = (
            [message_id]
            if message_id
            else [key for key, view in self.messages.items() if view.final is None]
        )
        for target in targets:
            view = self.view(target)
            view.deltas, view.next_seq, view.resets = [], 1, view.resets + 1
            view.muted = reason in SNAPSHOT_REASONS

    def _final(self, data: dict[str, Any]) -> None:
        message_id = data["message_id"]
        view = self.view(message_id)
        if view.final is not None and view.final.get("content") != data.get("content"):
            self.problems.append(f"{message_id} final content changed")
        view.final = data
        # A run that completes stores exactly what it streamed. (One ended by the sweeper
        # keeps its last checkpoint instead, which may be shorter than what was streamed.)
        # A client that saw none of its chunks (it came after the end) has nothing to compare.
        completed = data.get("role") == "assistant" and data.get("status") == "completed"
        streamed = view.next_seq > 1 and not view.muted
        if completed and streamed and view.text != data["content"]:
            self.problems.append(
                f"{message_id}: chunks give {view.text!r}, final is {data['content']!r}"
            )

    def check_against(self, stored: dict[str, dict[str, Any]]) -> list[str]:
        """Problems of this view against the stored messages (id → {content, status})."""
        problems = list(self.problems)
        for message_id, message in stored.items():
            view = self.messages.get(message_id)
            if view is None or view.final is None:
                role = message.get("role", "message")
                problems.append(f"{message_id}: no final {role} message received")
                continue
            if view.final.get("content") != message["content"]:
                problems.append(f"{message_id}: client ended with other text than stored")
            if view.final.get("status") != message["status"]:
                problems.append(f"{message_id}: client status differs from stored")
        return problems
