import sqlalchemy as sa

from adapters.sqla.schema import Id, Json, UtcDateTime, created_at, id_column, metadata

chat_sessions = sa.Table(
    "chat_sessions",
    metadata,
    id_column(),
    # No foreign key: pages live in another context's migration branch.
    sa.Column("page_id", Id, nullable=False, unique=True),
    created_at(),
)

chat_messages = sa.Table(
    "chat_messages",
    metadata,
    id_column(),
    sa.Column(
        "session_id", Id, sa.ForeignKey("chat_sessions.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("components", Json, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("lease_until", UtcDateTime(), nullable=True),
    sa.Column("client_message_id", sa.String(64), nullable=True),
    sa.Column("reply_to", Id, nullable=True),
    sa.Column("meta", Json, nullable=False),
    sa.Column("cancel_requested_at", UtcDateTime(), nullable=True),
    created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # A repeated submit finds its first turn; NULLs (no client id) never collide.
    sa.UniqueConstraint(
        "session_id", "client_message_id", name="uq_chat_messages_session_client_message"
    ),
    # History pages walk one session's messages by id.
    sa.Index("ix_chat_messages_session_id_id", "session_id", "id"),
    # The sweeper looks for in-flight messages whose lease ended.
    sa.Index("ix_chat_messages_status_lease_until", "status", "lease_until"),
    sa.Index("ix_chat_messages_reply_to", "reply_to"),
)
