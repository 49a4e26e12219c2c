"""Background work: a use case asks for a task by name; a queue adapter runs it somewhere.

Task names and their payloads are plain data so any adapter (arq on Redis, or the in-process
runner of the embedded mode) can carry them. A payload holds ids, never whole objects.
"""

from __future__ import annotations

from typing import Any, Protocol


class JobQueue(Protocol):
    async def enqueue(
        self, task: str, payload: dict[str, Any], *, job_id: str, delay_seconds: float = 0
    ) -> bool:
        """Queues ``task``; the same ``job_id`` while one is queued or running starts nothing.

        Returns False when a job with that id already exists.
        """
        ...
