"""The agents' limits, one frozen value built from the settings."""

from __future__ import annotations

import attrs

MAIN, CONTEXT, MAP, OUTPUT = "main", "context", "map", "output"
AGENTS = (MAIN, CONTEXT, MAP, OUTPUT)


@attrs.frozen
class AgentPolicy:
    max_model_calls: int = 8
    """Model calls per turn (every agent's together); past it the turn ends with a notice."""
    max_tool_calls: int = 16
    """Tool calls per turn."""
    history_chars: int = 8000
    """Characters of earlier messages a model sees: the newest ones, whole."""
    conflict_retries: int = 3
    """Times ``update_page`` re-reads a page that changed under it before it gives up."""
    venue_candidates: int = 5
    """Places ``find_venue`` returns at most."""
    map_app_name: str = "mocheong"
    """Who is asking, for the Naver Map link of a ``map`` component."""
