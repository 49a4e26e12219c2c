"""One module per bounded context; ``register_all`` imports them onto the shared metadata."""

import importlib

MODULES = ("accounts", "pages", "files", "chat", "jobs", "payments")


def register_all() -> None:
    for name in MODULES:
        importlib.import_module(f"adapters.sqla.tables.{name}")
