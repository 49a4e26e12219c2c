"""chat

Revision ID: 0004
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import adapters.sqla.schema

revision: str = "0004"
down_revision: str | None = "0001"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
        sa.UniqueConstraint("page_id", name=op.f("uq_chat_sessions_page_id")),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column(
            "components",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("lease_until", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=True),
        sa.Column("client_message_id", sa.String(length=64), nullable=True),
        sa.Column("reply_to", sa.String(length=36), nullable=True),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "cancel_requested_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", adapters.sqla.schema.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_messages_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "session_id", "client_message_id", name="uq_chat_messages_session_client_message"
        ),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index("ix_chat_messages_reply_to", ["reply_to"], unique=False)
        batch_op.create_index("ix_chat_messages_session_id_id", ["session_id", "id"], unique=False)
        batch_op.create_index(
            "ix_chat_messages_status_lease_until", ["status", "lease_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_status_lease_until")
        batch_op.drop_index("ix_chat_messages_session_id_id")
        batch_op.drop_index("ix_chat_messages_reply_to")

    op.drop_table("chat_messages")
    op.drop_table("chat_sessions")
