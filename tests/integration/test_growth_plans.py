"""P10's second half: every query on the paths P10 times uses an index once the tables are big.

The queries are not copied here: the product runs its own requests (the published page cold,
a chat submit, the RSVP summary and list, the guestbook's first and second page, the chat
history a resuming client reads, first and second page) against a database grown around the
measured page, every statement it sends is recorded, and each read or write with a WHERE is
EXPLAINed with the same parameters. The planner keeps every method it has
(``enable_seqscan`` stays on) and has fresh statistics (``ANALYZE``): at these sizes it picks a
sequential scan only where no index serves, which is what the test looks for. The sizes are a
fiftieth of P10's (2,000 pages, 20,000 RSVPs, entries and messages): big enough that a scan
costs far more than an index probe, small enough for the test run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sqla.migrate import upgrade
from entrypoints.app import create_app
from tests import services
from tests.conftest import make_settings
from tests.growth_data import BIG_TABLES, FULL, grow, row_counts
from tests.integration.pages_helpers import container_of, create_complete_page, user_headers

pytestmark = pytest.mark.postgres
SCALE = 0.02
Statement = tuple[str, Any]


@pytest.fixture
def database() -> Iterator[tuple[str, str]]:
    """A private database: the bulk rows stay out of the shared test database."""
    name, url = services.create_database()
    upgrade(url)
    yield name, url
    services.drop_database(name)


def _admin_dsn(name: str) -> str:
    return f"{services.PG_ADMIN_DSN.rsplit('/', 1)[0]}/{name}"


def sequential_scans(plan: dict[str, Any]) -> list[str]:
    """The big tables a plan (EXPLAIN's JSON) reads by a sequential scan."""
    found = []
    if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in BIG_TABLES:
        found.append(str(plan["Relation Name"]))
    for child in plan.get("Plans", []):
        found += sequential_scans(child)
    return found


async def _explain(engine: AsyncEngine, statement: str, parameters: Any) -> dict[str, Any]:
    async with engine.connect() as conn:
        result = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
        plan: dict[str, Any] = result.scalar_one()[0]["Plan"]
    return plan


async def _seed_measured_page(client: Any, owner: dict[str, str]) -> tuple[str, str, str]:
    """The measured page, published, with answers, entries and chat turns; its id, slug and
    chat session."""
    page = await create_complete_page(client, owner)
    slug = page["slug"]
    for n in range(3):
        answer = {"attending": True, "name": f"하객{n}", "side": "groom", "party_size": 2}
        response = await client.post(f"/api/public/pages/{slug}/rsvps", json=answer)
        assert response.status_code == 201, response.text
        entry = {"name": f"친구{n}", "message": "축하해요", "password": "1234"}
        response = await client.post(f"/api/public/pages/{slug}/guestbook", json=entry)
        assert response.status_code == 201, response.text
    for n in range(3):
        submit = {"page_id": page["id"], "message": f"인사말 {n}", "client_message_id": f"c{n}"}
        response = await client.post("/api/chat", json=submit, headers=owner)
        assert response.status_code == 202, response.text
    session = await client.post("/api/chat/sessions", json={"page_id": page["id"]}, headers=owner)
    assert session.status_code == 200, session.text
    return page["id"], slug, session.json()["session_id"]


async def _run_the_measured_paths(
    client: Any, owner: dict[str, str], page_id: str, slug: str, session_id: str
) -> None:
    """The requests P10 times, each once, the published pages read cold."""
    for path in (f"/i/{slug}", f"/api/public/pages/{slug}", "/i/growth-777"):
        assert (await client.get(path)).status_code == 200, path
    submit = {"page_id": page_id, "message": "식순을 알려줘", "client_message_id": "grown"}
    assert (await client.post("/api/chat", json=submit, headers=owner)).status_code == 202
    pages = (
        (f"/api/pages/{page_id}/rsvps/summary", owner),
        (f"/api/pages/{page_id}/rsvps?limit=2", owner),
        (f"/api/public/pages/{slug}/guestbook?limit=2", {}),
        (f"/api/chat/sessions/{session_id}/messages?limit=2", owner),
    )
    for path, headers in pages:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, f"{path}: {response.text}"
        cursor = response.json().get("next_cursor")
        if cursor:  # the second page reads through its cursor
            response = await client.get(path, params={"cursor": cursor}, headers=headers)
            assert response.status_code == 200, f"{path} (second page): {response.text}"


async def test_every_query_on_the_p10_paths_uses_an_index_at_size(
    database: tuple[str, str], tmp_path: Path
) -> None:
    name, url = database
    settings = make_settings(
        tmp_path,
        database_url=url,
        rate_rsvp_per_ip=1000,
        rate_guestbook_per_ip=1000,
        rate_chat_per_user=1000,
    )
    async with AsyncTestClient(create_app(settings)) as client:
        owner = await user_headers(client)
        page_id, slug, session_id = await _seed_measured_page(client, owner)
        with psycopg.connect(_admin_dsn(name), autocommit=True) as conn:
            grow(conn, page_id, FULL.scaled(SCALE))
            counts = row_counts(conn)
        assert counts["rsvps"] > 20_000
        assert counts["pages"] > 2_000

        engine = await container_of(client).get(AsyncEngine)
        recorded: list[Statement] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            recorded.append((statement, parameters))

        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            await _run_the_measured_paths(client, owner, page_id, slug, session_id)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)

        searched = [
            (statement, parameters)
            for statement, parameters in recorded
            if statement.lstrip().upper().startswith(("SELECT", "WITH", "UPDATE", "DELETE"))
        ]
        # The paths did read each big table of theirs (the test cannot pass on nothing).
        touched = " ".join(statement for statement, _ in searched)
        for table in ("pages", "rsvps", "guestbook_entries", "chat_messages"):
            assert f"FROM {table}" in touched or f"JOIN {table}" in touched, table

        scans = []
        for statement, parameters in searched:
            tables = sequential_scans(await _explain(engine, statement, parameters))
            if tables:
                scans.append(f"{', '.join(tables)}: {' '.join(statement.split())}")
        assert scans == [], "sequential scans of big tables:\n" + "\n".join(scans)

        # The detector sees a scan where there is one.
        plan = await _explain(engine, "SELECT * FROM rsvps WHERE note = %(note)s", {"note": "x"})
        assert sequential_scans(plan) == ["rsvps"]
