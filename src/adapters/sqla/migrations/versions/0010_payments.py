"""payments: orders, their event log, webhook receipts, the admin audit log

Revision ID: 0010
Revises: 0002
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import adapters.sqla.schema

revision: str = "0010"
down_revision: str | None = "0002"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, adapters.sqla.schema.UtcDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "payment_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("page_id", sa.String(length=36), nullable=False),
        sa.Column("product_code", sa.String(length=40), nullable=False),
        sa.Column("order_name", sa.String(length=120), nullable=False),
        sa.Column("payment_id", sa.String(length=80), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("cancelled_amount", sa.BigInteger(), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _at("paid_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["pages.id"],
            name=op.f("fk_payment_orders_page_id_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_payment_orders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_orders_payment_id")),
    )
    op.create_index(
        "ix_payment_orders_status_created_at", "payment_orders", ["status", "created_at"]
    )
    op.create_index("ix_payment_orders_user_id_id", "payment_orders", ["user_id", "id"])
    op.create_table(
        "payment_order_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=False),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        _at("at"),
        sa.Column("detail", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_orders.id"],
            name=op.f("fk_payment_order_events_order_id_payment_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_order_events")),
    )
    op.create_index("ix_payment_order_events_order_id", "payment_order_events", ["order_id"])
    op.create_table(
        "webhook_receipts",
        sa.Column("webhook_id", sa.String(length=200), nullable=False),
        _at("received_at"),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_webhook_receipts")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        _at("at"),
        sa.Column("detail", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("webhook_receipts")
    op.drop_index("ix_payment_order_events_order_id", table_name="payment_order_events")
    op.drop_table("payment_order_events")
    op.drop_index("ix_payment_orders_user_id_id", table_name="payment_orders")
    op.drop_index("ix_payment_orders_status_created_at", table_name="payment_orders")
    op.drop_table("payment_orders")
