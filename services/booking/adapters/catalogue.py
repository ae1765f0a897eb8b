"""The catalogue projection's repository (`uow.catalogue`): motifs and lieux known from availability's events."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from shared.db import UnitOfWork


def _upsert(table: str):
    # A row keeps its organisation: an event naming another organisation for a known id changes nothing.
    return text(f"insert into {table} (id, organisation_id, data, deleted) "
                "values (:id, :org, cast(:data as jsonb), :deleted) "
                "on conflict (id) do update set data = excluded.data, deleted = excluded.deleted "
                f"where {table}.organisation_id = excluded.organisation_id")


_UPSERT = {"motif": _upsert("motifs"), "lieu": _upsert("lieux")}


class CatalogueRepository:
    """Motifs and lieux as booking knows them (whether they exist and are live), through one unit of work."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def put(self, *, kind: str, item_id: uuid.UUID, organisation_id: uuid.UUID | None, data: dict,
                  deleted: bool) -> None:
        """Record a motif or a lieu (`kind`) as its latest event shows it, or mark it deleted."""
        await self._uow.execute(_UPSERT[kind], {"id": item_id, "org": organisation_id,
                                                "data": json.dumps(data, default=str), "deleted": deleted})
