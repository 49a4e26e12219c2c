"""The chat job: one attempt of an assistant message, queued by ``Submit`` and the sweeper."""

from __future__ import annotations

from typing import Any

from dishka import AsyncContainer

from entrypoints.runtime.tasks import task
from mocheong_core.chat.policy import RUN_TURN
from mocheong_core.chat.runner import RunTurn


@task(RUN_TURN)
async def run_turn(container: AsyncContainer, payload: dict[str, Any]) -> None:
    run = await container.get(RunTurn)
    await run(str(payload["message_id"]), int(payload["attempt"]))
