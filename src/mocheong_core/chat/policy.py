"""The chat context's limits and timings, one frozen value built from the settings."""

from __future__ import annotations

import attrs

RUN_TURN = "chat.run_turn"
"""The task that runs one attempt of an assistant message: ``{"message_id", "attempt"}``."""


def run_job_id(message_id: str, attempt: int) -> str:
    """The first attempt's job id is the message id; a retry gets its own, so a queue that
    remembers finished ids never refuses it."""
    return message_id if attempt == 1 else f"{message_id}.{attempt}"


@attrs.frozen
class ChatPolicy:
    max_message_chars: int = 4000
    submits_per_minute: int = 30
    coalesce_seconds: float = 0.03
    """How long a runner gathers model deltas before it appends one chunk."""
    lease_seconds: float = 10.0
    """A running attempt renews its lease every third of this; a lapsed lease is swept."""
    pending_timeout_seconds: float = 60.0
    """How long a queued attempt may wait for a runner before it is swept."""
    max_attempts: int = 3
    model_history: int = 20
    """Finished messages a model sees before the user's message."""
    snapshot_messages: int = 50
    """Stored messages a client gets when its cursor is outside the stream's history."""
    history_page: int = 500
    sweep_batch: int = 100
