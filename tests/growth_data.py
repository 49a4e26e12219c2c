"""Bulk rows around one measured page, for P10: ``bench/growth_p10.py`` times the page's
paths as the tables grow, and ``tests/integration/test_growth_plans.py`` EXPLAINs them.

The measured page, its answers, entries and chat are made through the API; every other row
is copied from one of them inside PostgreSQL (``INSERT … SELECT … generate_series``), so a
million rows take seconds and every copy is as valid as its model. Bulk ids are UUID-shaped
text below any real (time-ordered) id: the bulk is older history than the measured page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg

# The tables that grow: a sequential scan of any of them on a request path is a defect.
BIG_TABLES = frozenset(
    {"users", "pages", "rsvps", "guestbook_entries", "chat_sessions", "chat_messages"}
)


@dataclass(frozen=True)
class Volume:
    """How many rows of each kind the bulk adds."""

    pages: int
    rsvps: int
    guestbook: int
    messages: int

    def scaled(self, scale: float) -> Volume:
        return Volume(*(max(1, round(count * scale)) for count in self.counts()))

    def counts(self) -> tuple[int, int, int, int]:
        return (self.pages, self.rsvps, self.guestbook, self.messages)


FULL = Volume(pages=100_000, rsvps=1_000_000, guestbook=1_000_000, messages=1_000_000)
PAGES_PER_OWNER = 4


def _bulk_id(kind: str, number: str = "i") -> str:
    """SQL for a bulk row's id: ``00000000-0000-4000-<kind>000-<number as 12 hex>``."""
    return f"'00000000-0000-4000-{kind}000-' || lpad(to_hex({number}), 12, '0')"


def grow(
    conn: psycopg.Connection, page_id: str, volume: Volume, first: int = 1
) -> dict[str, float]:
    """Adds ``volume`` rows, numbered from ``first`` (grow in steps without clashes), modelled
    on the rows of ``page_id`` (which needs an answer, a guestbook entry and a user message);
    returns the seconds each table took. Bulk pages have slugs ``growth-<n>``."""
    last_page = first + volume.pages - 1
    owners = (first - 1) // PAGES_PER_OWNER + 1, last_page // PAGES_PER_OWNER + 1
    page_of = f"({first} + mod(i - {first}, {volume.pages}))"
    statements = {
        "users": f"""
            INSERT INTO users (id, email, name, password_hash, role, disabled, created_at)
            SELECT {_bulk_id("a")}, 'growth-' || i || '@example.com', u.name,
                   u.password_hash, u.role, u.disabled, u.created_at
            FROM users u JOIN pages p ON p.owner_id = u.id AND p.id = %(page)s,
                 generate_series(%(first_owner)s::int, %(last_owner)s::int) AS i
            ON CONFLICT DO NOTHING""",
        "pages": f"""
            INSERT INTO pages (id, owner_id, slug, status, plan, version, document,
                               created_at, updated_at)
            SELECT {_bulk_id("b")}, {_bulk_id("a", f"(i - 1) / {PAGES_PER_OWNER} + 1")},
                   'growth-' || i, p.status, p.plan, p.version, p.document, p.created_at,
                   p.updated_at
            FROM pages p, generate_series(%(first)s::int, %(last_page)s::int) AS i
            WHERE p.id = %(page)s""",
        "chat_sessions": f"""
            INSERT INTO chat_sessions (id, page_id, created_at)
            SELECT {_bulk_id("c")}, {_bulk_id("b")}, now()
            FROM generate_series(%(first)s::int, %(last_page)s::int) AS i""",
        "rsvps": f"""
            INSERT INTO rsvps (id, page_id, guest_id, name, side, attending, party_size, meal,
                               note, created_at, updated_at)
            SELECT {_bulk_id("d")}, {_bulk_id("b", page_of)}, NULL, r.name, r.side,
                   mod(i, 5) <> 0, r.party_size, r.meal, r.note, r.created_at, r.updated_at
            FROM (SELECT * FROM rsvps WHERE page_id = %(page)s LIMIT 1) AS r,
                 generate_series(%(first)s::int, %(first)s::int + %(rsvps)s::int - 1) AS i""",
        "guestbook_entries": f"""
            INSERT INTO guestbook_entries (id, page_id, name, message, password_hash,
                                           created_at)
            SELECT {_bulk_id("e")}, {_bulk_id("b", page_of)}, g.name, g.message,
                   g.password_hash, g.created_at
            FROM (SELECT * FROM guestbook_entries WHERE page_id = %(page)s LIMIT 1) AS g,
                 generate_series(%(first)s::int, %(first)s::int + %(guestbook)s::int - 1) AS i""",
        "chat_messages": f"""
            INSERT INTO chat_messages (id, session_id, role, status, content, components,
                                       attempt, lease_until, client_message_id, reply_to,
                                       meta, cancel_requested_at, created_at, updated_at)
            SELECT {_bulk_id("f")}, {_bulk_id("c", page_of)}, m.role, m.status, m.content,
                   m.components, m.attempt, NULL, NULL, NULL, m.meta, NULL, m.created_at,
                   m.updated_at
            FROM (SELECT m.* FROM chat_messages m
                  JOIN chat_sessions s ON s.id = m.session_id AND s.page_id = %(page)s
                  WHERE m.role = 'user' LIMIT 1) AS m,
                 generate_series(%(first)s::int, %(first)s::int + %(messages)s::int - 1) AS i""",
    }
    parameters = {
        "page": page_id,
        "first": first,
        "last_page": last_page,
        "first_owner": owners[0],
        "last_owner": owners[1],
        "rsvps": volume.rsvps,
        "guestbook": volume.guestbook,
        "messages": volume.messages,
    }
    seconds: dict[str, float] = {}
    for table, statement in statements.items():
        started = time.perf_counter()
        with conn.transaction():
            inserted = conn.execute(statement, parameters).rowcount
        if inserted <= 0:
            raise RuntimeError(f"no {table} row to copy: the measured page lacks one")
        seconds[table] = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("ANALYZE")
    seconds["analyze"] = time.perf_counter() - started
    return seconds


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    counts = {}
    for table in sorted(BIG_TABLES):
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts
