"""Event consumers: `booking-catalog` keeps motifs and lieux known from availability's events."""
from __future__ import annotations

from sqlalchemy import text

from shared.events import Envelope
from shared.inbox import Consumer


async def catalogue(uow, envelope: Envelope) -> None:
    """Upsert (or mark deleted) the motif or lieu an `availability.motif|lieu.*` event carries."""
    aggregate, verb = envelope.type.split(".")[1:3]
    table = {"motif": "motifs", "lieu": "lieux"}[aggregate]
    item = envelope.data[aggregate]
    await uow.execute(text(
        f"insert into {table} (id, organisation_id, data, deleted) "
        "values (:id, :org, cast(:data as jsonb), :deleted) "
        "on conflict (id) do update set data = excluded.data, deleted = excluded.deleted "
        f"where {table}.organisation_id = excluded.organisation_id"),
        {"id": item["id"], "org": envelope.organisation_id, "data": _json(item), "deleted": verb == "deleted"})


def _json(value) -> str:
    import json

    return json.dumps(value, default=str)


CONSUMERS = [Consumer(name="booking-catalog", stream="AVAILABILITY",
                      subjects=["availability.motif.>", "availability.lieu.>"], handler=catalogue)]
