"""The stream of a chat room: ordered events with cursors (the broker that carries them is
``StreamBroker`` in ``ports.py``, its refusals in ``errors.py``).

Every event of a room (chunks, components, final messages, resets, page updates, job notices)
is appended to the room's stream; the stream is the truth and live delivery is only a
doorbell. A cursor names a position in one room's stream; it is opaque to clients.

Inside the system a cursor reads ``<epoch>.<major>-<minor>`` (see ``Position``): every adapter
writes it in that form so the delivery side can order events and drop duplicates without
asking the broker.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs


class EventKind(enum.StrEnum):
    CHUNK = "message-chunk"
    COMPONENT = "component"
    MESSAGE = "newMessage"
    RESET = "stream-reset"
    CANCELLED = "message-cancelled"
    PAGE_UPDATED = "page-updated"
    JOB_COMPLETED = "job-completed"


# Kinds a fenced append refuses once a cancel was requested. The events that end a run
# (``newMessage``, ``message-cancelled``) still pass the fence, so a cancelled run can record
# its ending.
CANCELLABLE_KINDS = frozenset({EventKind.CHUNK, EventKind.COMPONENT, EventKind.RESET})

# ``reason`` of a ``stream-reset`` without ``message_id`` that ``listen`` yields when the
# broker lost part of a room's history (data loss, trimming past a slow listener): the
# listener must resync its clients from the database. The event's cursor is valid to resume
# from.
HISTORY_LOST = "history_lost"


@attrs.frozen
class Position:
    """A parsed cursor. Positions of one epoch are ordered by ``(major, minor)`` (a Redis
    stream id, or a counter and 0); positions of different epochs cannot be compared: the
    stream behind the older one is gone."""

    epoch: str
    major: int
    minor: int = 0

    @classmethod
    def parse(cls, cursor: str | None) -> Position | None:
        """None for a missing or malformed cursor (which a broker treats as outside history)."""
        epoch, dot, rest = (cursor or "").partition(".")
        major, dash, minor = rest.partition("-")
        numeric = all(part.isascii() and part.isdigit() for part in (major, minor))
        if not (epoch and dot and dash and numeric):
            return None
        return cls(epoch, int(major), int(minor))

    def encode(self) -> str:
        return f"{self.epoch}.{self.major}-{self.minor}"

    def follows(self, other: Position) -> bool:
        """True when ``self`` comes after ``other`` in the same epoch."""
        return self.epoch == other.epoch and (self.major, self.minor) > (other.major, other.minor)


@attrs.frozen
class Fence:
    """Only the current attempt of a run may write to its message's stream."""

    message_id: str
    attempt: int


TRACE_FIELD = "trace"
"""The key under which an event's ``data`` may carry the trace context (W3C ``traceparent``)
of the work that produced it, for the servers' traces; never sent to clients."""


@attrs.frozen
class EventDraft:
    """An event before the broker gives it a cursor (and, for chunks and components, a seq)."""

    kind: EventKind
    data: dict[str, Any]
    message_id: str | None = None


@attrs.frozen
class StreamEvent:
    kind: EventKind
    data: dict[str, Any]
    cursor: str
    message_id: str | None = None
    attempt: int = 0
    seq: int = 0

    def wire(self) -> dict[str, Any]:
        """The frame clients receive: ``{"event": name, "data": {..., "cursor": ...}}``."""
        data = dict(self.data)
        data.pop(TRACE_FIELD, None)
        data["cursor"] = self.cursor
        if self.message_id is not None:
            data.setdefault("message_id", self.message_id)
        if self.seq:
            data["seq"] = self.seq
        return {"event": self.kind.value, "data": data}


@attrs.frozen
class History:
    """Events after a cursor. ``complete`` is False when the cursor lies outside what the
    broker still holds (trimmed, expired, or the broker lost its data): the caller must then
    fall back to a snapshot from the database."""

    events: list[StreamEvent]
    complete: bool
