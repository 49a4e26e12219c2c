import sqlalchemy as sa

from adapters.sqla.schema import Id, Json, UtcDateTime, created_at, id_column, metadata

jobs = sa.Table(
    "jobs",
    metadata,
    id_column(),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("owner_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # No foreign key: pages live in another context's migration branch.
    sa.Column("page_id", Id, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("result", Json, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    created_at(),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("ix_jobs_owner_id", "owner_id"),
    # The embedded start-up looks for unfinished jobs.
    sa.Index("ix_jobs_status", "status"),
)
