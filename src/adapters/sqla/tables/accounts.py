import sqlalchemy as sa

from adapters.sqla.schema import Id, UtcDateTime, created_at, id_column, metadata

users = sa.Table(
    "users",
    metadata,
    id_column(),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    created_at(),
)

refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    id_column(),
    sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("family_id", Id, nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    created_at(),
    sa.Column("spent_at", UtcDateTime(), nullable=True),
    sa.Column("revoked_at", UtcDateTime(), nullable=True),
    sa.Index("ix_refresh_tokens_user_id", "user_id"),
)
