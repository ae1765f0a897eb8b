"""Per organisation, the stream positions its writes were answered with (reads after writes)."""
from __future__ import annotations

import uuid

from sqlalchemy import bindparam, func, select, text

from gateway.adapters.tables import organisations, read_positions
from shared.consistency import Positions

# Built once: it runs after every write that published events. Positions only grow.
_RECORD = text("insert into read_positions (organisation_id, stream, seq) "
               "select :org, t.stream, t.seq from unnest(cast(:streams as text[]), cast(:seqs as bigint[])) "
               "as t(stream, seq) "
               "on conflict (organisation_id, stream) do update set seq = greatest(read_positions.seq, excluded.seq)")
_READ = (select(read_positions.c.stream, read_positions.c.seq)
         .where(read_positions.c.organisation_id == bindparam("org")))


def positions_of_organisation():
    """A scalar subquery: the positions of the organisation `organisations.id` as one JSON object (or null);
    the caller's lookup reads them with the session (no statement of their own)."""
    return (select(func.jsonb_object_agg(read_positions.c.stream, read_positions.c.seq))
            .where(read_positions.c.organisation_id == organisations.c.id).scalar_subquery())


class PositionRepository:
    """Per organisation, the highest stream positions its writes were answered with."""

    def __init__(self, uow):
        self._uow = uow

    async def record(self, *, organisation_id: uuid.UUID, positions: Positions) -> None:
        """Keep an organisation's new write positions (they only grow)."""
        if positions:
            streams = sorted(positions)
            await self._uow.execute(_RECORD, {"org": organisation_id, "streams": streams,
                                              "seqs": [positions[s] for s in streams]})

    async def read(self, *, organisation_id: uuid.UUID) -> Positions:
        return {row.stream: row.seq for row in await self._uow.execute(_READ, {"org": organisation_id})}

