"""The one SQLAlchemy ``MetaData`` and the column types every table shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores no offset)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


Id = sa.String(36)
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def id_column(name: str = "id", **kw: Any) -> sa.Column[str]:
    return sa.Column(name, Id, primary_key=True, **kw)


def created_at() -> sa.Column[datetime]:
    return sa.Column("created_at", UtcDateTime(), nullable=False)


def table_modules() -> None:
    """Imports every table module so ``metadata`` knows the whole schema."""
    from adapters.sqla.tables import register_all

    register_all()
