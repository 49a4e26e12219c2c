"""The JavaScript chat client, ``/static/mocheong-client.js`` (``static/``): an ES module the
studio and any web front end import as it is, with no build step."""

from __future__ import annotations

from pathlib import Path

from litestar.static_files import create_static_files_router

client_files = create_static_files_router(
    path="/static",
    directories=[Path(__file__).parent / "static"],
    include_in_schema=False,
    name="chat-client",
)
