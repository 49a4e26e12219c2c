"""Payment orders, their append-only event log, received webhook ids and the admin audit log."""

import sqlalchemy as sa

from adapters.sqla.schema import Id, Json, UtcDateTime, created_at, id_column, metadata

payment_orders = sa.Table(
    "payment_orders",
    metadata,
    id_column(),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("page_id", Id, sa.ForeignKey("pages.id", ondelete="CASCADE"), nullable=False),
    sa.Column("product_code", sa.String(40), nullable=False),
    sa.Column("order_name", sa.String(120), nullable=False),
    sa.Column("payment_id", sa.String(80), nullable=False, unique=True),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("cancelled_amount", sa.BigInteger, nullable=False),
    sa.Column("sandbox", sa.Boolean, nullable=False),
    created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("paid_at", UtcDateTime(), nullable=True),
    sa.Index("ix_payment_orders_user_id_id", "user_id", "id"),
    sa.Index("ix_payment_orders_status_created_at", "status", "created_at"),
)

# Append-only: rows are inserted with the transition they record and never updated.
payment_order_events = sa.Table(
    "payment_order_events",
    metadata,
    id_column(),
    sa.Column(
        "order_id", Id, sa.ForeignKey("payment_orders.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("from_status", sa.String(24), nullable=False),
    sa.Column("to_status", sa.String(24), nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("detail", Json, nullable=False),
    sa.Index("ix_payment_order_events_order_id", "order_id"),
)

webhook_receipts = sa.Table(
    "webhook_receipts",
    metadata,
    sa.Column("webhook_id", sa.String(200), primary_key=True),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    id_column(),
    sa.Column("actor_id", Id, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(80), nullable=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("detail", Json, nullable=False),
)
