"""A worker for P8: ``mocheong worker`` with a model that answers at once, either the plain
chat model (``plain``: the runner alone) or the agent model behind the agent loop
(``agents``). ``python bench/agent_worker.py plain|agents``; settings from the environment."""

from __future__ import annotations

import asyncio
import sys

import uvloop
from agent_fakes import InstantAgentModelProvider, InstantChatModelProvider

from entrypoints.bootstrap.logging import configure_logging
from entrypoints.bootstrap.settings import load_settings
from entrypoints.worker.app import build_worker


def main() -> None:
    override = {"plain": InstantChatModelProvider, "agents": InstantAgentModelProvider}[
        sys.argv[1]
    ]()
    settings = load_settings()
    configure_logging(settings.log.level, settings.log.json)
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    build_worker(settings, override).run()


if __name__ == "__main__":
    main()
