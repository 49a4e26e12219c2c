"""pages, guests, rsvps, guestbook

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import adapters.sqla.schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_pages_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pages")),
        sa.UniqueConstraint("slug", name=op.f("uq_pages_slug")),
    )
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.create_index("ix_pages_owner_id_id", ["owner_id", "id"], unique=False)
        batch_op.create_index("ix_pages_status_id", ["status", "id"], unique=False)

    op.create_table(
        "guestbook_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_guestbook_entries_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guestbook_entries")),
    )
    with op.batch_alter_table("guestbook_entries", schema=None) as batch_op:
        batch_op.create_index("ix_guestbook_entries_page_id_id", ["page_id", "id"], unique=False)

    op.create_table(
        "guests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("group_name", sa.String(length=60), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("responded_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name=op.f("fk_guests_page_id_pages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guests")),
        sa.UniqueConstraint("token", name=op.f("uq_guests_token")),
    )
    with op.batch_alter_table("guests", schema=None) as batch_op:
        batch_op.create_index("ix_guests_page_id_id", ["page_id", "id"], unique=False)

    op.create_table(
        "rsvps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("guest_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("attending", sa.Boolean(), nullable=False),
        sa.Column("party_size", sa.Integer(), nullable=False),
        sa.Column("meal", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["guest_id"], ["guests.id"], name=op.f("fk_rsvps_guest_id_guests"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["page_id"], ["pages.id"], name=op.f("fk_rsvps_page_id_pages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvps")),
        sa.UniqueConstraint("guest_id", name=op.f("uq_rsvps_guest_id")),
    )
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.create_index("ix_rsvps_page_id_id", ["page_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rsvps", schema=None) as batch_op:
        batch_op.drop_index("ix_rsvps_page_id_id")
    op.drop_table("rsvps")
    with op.batch_alter_table("guests", schema=None) as batch_op:
        batch_op.drop_index("ix_guests_page_id_id")
    op.drop_table("guests")
    with op.batch_alter_table("guestbook_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_guestbook_entries_page_id_id")
    op.drop_table("guestbook_entries")
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_index("ix_pages_status_id")
        batch_op.drop_index("ix_pages_owner_id_id")
    op.drop_table("pages")
