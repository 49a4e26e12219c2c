import sqlalchemy as sa

from adapters.sqla.schema import Id, Json, created_at, id_column, metadata

files = sa.Table(
    "files",
    metadata,
    id_column(),
    sa.Column(
        "owner_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    # No foreign key: pages are another context's tables, migrated on their own branch.
    sa.Column("page_id", Id, nullable=True, index=True),
    sa.Column("content_type", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("width", sa.Integer, nullable=True),
    sa.Column("height", sa.Integer, nullable=True),
    sa.Column("storage_key", sa.String(512), nullable=False, unique=True),
    sa.Column("original_name", sa.String(255), nullable=True),
    sa.Column("variants", Json, nullable=False),
    sa.Column("pages", sa.Integer, nullable=True),
    created_at(),
)
