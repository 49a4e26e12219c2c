"""In-memory twins of the files ports, for unit tests and for callers without a database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, cast

import attrs

from mocheong_core.files.model import FileRecord


class InMemoryObjectStorage:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes | IO[bytes], content_type: str) -> None:
        self.objects[key] = (data if isinstance(data, bytes) else data.read(), content_type)

    async def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return found[0] if found else None

    async def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self.objects

    async def signed_url(self, key: str, expires_in: int) -> str:
        return f"memory://{key}?expires_in={expires_in}"

    async def ping(self) -> None:
        return None


class InMemoryFileRepository:
    """Transactional with ``InMemoryUnitOfWork``: what is not committed can be rolled back."""

    def __init__(self) -> None:
        self.records: dict[str, FileRecord] = {}

    def snapshot(self) -> object:
        return {i: attrs.evolve(r, variants=dict(r.variants)) for i, r in self.records.items()}

    def restore(self, state: object) -> None:
        self.records = dict(cast(dict[str, FileRecord], state))

    async def add(self, record: FileRecord) -> None:
        self.records[record.id] = attrs.evolve(record, variants=dict(record.variants))

    async def get(self, file_id: str) -> FileRecord | None:
        found = self.records.get(file_id)
        # A copy, as a database would give, so callers cannot change what is stored.
        return attrs.evolve(found, variants=dict(found.variants)) if found else None

    async def get_many(self, file_ids: Sequence[str]) -> list[FileRecord]:
        return [r for r in [await self.get(i) for i in file_ids] if r is not None]

    async def set_variants(self, file_id: str, variants: dict[int, str]) -> bool:
        found = self.records.get(file_id)
        if found is None:
            return False
        found.variants = dict(variants)
        return True

    async def delete(self, file_id: str) -> bool:
        return self.records.pop(file_id, None) is not None


class InMemoryPageOwnership:
    def __init__(self, owners: dict[str, str] | None = None) -> None:
        self.owners = dict(owners or {})

    async def owner_of(self, page_id: str) -> str | None:
        return self.owners.get(page_id)
