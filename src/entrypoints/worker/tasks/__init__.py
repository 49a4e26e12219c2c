"""Every context's background tasks. Each module registers its tasks as it is imported, and
they are imported here by name: a process that runs jobs (the arq worker, or the API in the
embedded mode) calls ``load_tasks``. A new context's tasks get a module here and a name below."""

from __future__ import annotations

from entrypoints.runtime.tasks import TASKS, Task
from entrypoints.worker.tasks import agents, chat, files

CONTEXTS = (agents, chat, files)
"""The task modules, each imported for the tasks it registers."""


def load_tasks() -> dict[str, Task]:
    """The registered tasks by name, every context's module above having been imported."""
    return TASKS
