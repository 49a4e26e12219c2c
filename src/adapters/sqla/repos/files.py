from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.sqla.tables.files import files
from mocheong_core.files.model import FileRecord

# Read by name rather than imported: the pages context owns that table and its migrations.


def _record(row: sa.Row[Any]) -> FileRecord:
    return FileRecord(
        id=row.id,
        owner_id=row.owner_id,
        page_id=row.page_id,
        content_type=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        key=row.storage_key,
        original_name=row.original_name,
        created_at=row.created_at,
        # JSON object keys are text; widths are numbers.
        variants={int(width): key for width, key in (row.variants or {}).items()},
        pages=row.pages,
    )


def _variants_json(variants: dict[int, str]) -> dict[str, str]:
    return {str(width): key for width, key in variants.items()}


class SqlaFileRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: FileRecord) -> None:
        await self._session.execute(
            files.insert().values(
                id=record.id,
                owner_id=record.owner_id,
                page_id=record.page_id,
                content_type=record.content_type,
                size=record.size,
                width=record.width,
                height=record.height,
                storage_key=record.key,
                original_name=record.original_name,
                variants=_variants_json(record.variants),
                pages=record.pages,
                created_at=record.created_at,
            )
        )

    async def get(self, file_id: str) -> FileRecord | None:
        row = (await self._session.execute(files.select().where(files.c.id == file_id))).first()
        return _record(row) if row else None

    async def get_many(self, file_ids: Sequence[str]) -> list[FileRecord]:
        if not file_ids:
            return []
        rows = await self._session.execute(files.select().where(files.c.id.in_(file_ids)))
        found = {row.id: _record(row) for row in rows}
        return [found[i] for i in file_ids if i in found]

    async def set_variants(self, file_id: str, variants: dict[int, str]) -> bool:
        result = await self._session.execute(
            files.update().where(files.c.id == file_id).values(variants=_variants_json(variants))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete(self, file_id: str) -> bool:
        result = await self._session.execute(files.delete().where(files.c.id == file_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]
