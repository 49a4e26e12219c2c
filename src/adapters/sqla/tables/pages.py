"""Pages (the document as one JSON column), their kept versions, guests, RSVP answers and
guestbook entries, and the guests' photo album."""

import sqlalchemy as sa

from adapters.sqla.schema import Id, Json, UtcDateTime, created_at, id_column, metadata
from mocheong_core.pages.ports import AGENT_NAME_MAX

pages = sa.Table(
    "pages",
    metadata,
    id_column(),
    sa.Column("owner_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("slug", sa.String(60), nullable=False, unique=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("plan", sa.String(16), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("document", Json, nullable=False),
    created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_pages_owner_id_id", "owner_id", "id"),
    sa.Index("ix_pages_status_id", "status", "id"),
)

# A page's kept versions. The primary key (page_id, version) is also the index that reads a
# page's history newest first and finds the versions retention drops.
page_versions = sa.Table(
    "page_versions",
    metadata,
    sa.Column("page_id", Id, sa.ForeignKey("pages.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("by", sa.String(8), nullable=False),
    sa.Column("agent", sa.String(AGENT_NAME_MAX), nullable=True),
    sa.Column("changed", Json, nullable=False),
    sa.Column("document", Json, nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("reverts_to", sa.Integer, nullable=True),
    sa.Column("undoes", sa.Integer, nullable=True),
)

guests = sa.Table(
    "guests",
    metadata,
    id_column(),
    sa.Column("page_id", Id, sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(60), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("group_name", sa.String(60), nullable=True),
    sa.Column("phone", sa.String(20), nullable=True),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    created_at(),
    sa.Column("opened_at", UtcDateTime(), nullable=True),
    sa.Column("responded_at", UtcDateTime(), nullable=True),
    sa.Index("ix_guests_page_id_id", "page_id", "id"),
)

rsvps = sa.Table(
    "rsvps",
    metadata,
    id_column(),
    sa.Column("page_id", Id, sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    # One answer per guest; an answer without a personal link has no guest.
    sa.Column(
        "guest_id",
        Id,
        sa.ForeignKey("guests.id", ondelete="SET NULL"),
        nullable=True,
        unique=True,
    ),
    sa.Column("name", sa.String(60), nullable=False),
    sa.Column("side", sa.String(8), nullable=False),
    sa.Column("attending", sa.Boolean, nullable=False),
    sa.Column("party_size", sa.Integer, nullable=False),
    sa.Column("meal", sa.String(16), nullable=True),
    sa.Column("note", sa.Text, nullable=True),
    created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_rsvps_page_id_id", "page_id", "id"),
)

guestbook_entries = sa.Table(
    "guestbook_entries",
    metadata,
    id_column(),
    sa.Column("page_id", Id, sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    created_at(),
    sa.Index("ix_guestbook_entries_page_id_id", "page_id", "id"),
)

guest_photos = sa.Table(
    "guest_photos",
    metadata,
    id_column(),
    sa.Column("page_id", Id, sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    # No foreign key: files are another context's table, migrated on their own branch.
    sa.Column("file_id", Id, nullable=False),
    sa.Column("guest_name", sa.String(40), nullable=True),
    sa.Column("state", sa.String(16), nullable=False),
    created_at(),
    sa.Column("decided_at", UtcDateTime(), nullable=True),
    # The public album (approved, newest first) and the owner's filtered lists; the owner's
    # whole list reads the page's rows by id.
    sa.Index("ix_guest_photos_page_id_state_id", "page_id", "state", "id"),
    sa.Index("ix_guest_photos_page_id_id", "page_id", "id"),
)
