"""files: a PDF's page count

Revision ID: 0003b
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003b"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("files", sa.Column("pages", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("files", "pages")
