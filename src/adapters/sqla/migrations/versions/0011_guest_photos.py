"""guest photos: the guests' album of a page

Revision ID: 0011
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import adapters.sqla.schema

revision: str = "0011"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "guest_photos",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("guest_name", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_guest_photos_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_photos")),
    )
    with op.batch_alter_table("guest_photos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_guest_photos_page_id_state_id", ["page_id", "state", "id"], unique=False
        )
        batch_op.create_index("ix_guest_photos_page_id_id", ["page_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("guest_photos")
