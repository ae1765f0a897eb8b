"""Everything a run of RDV events (or due reminders) needs from the database, in one query.

One round trip instead of one per table: the rows come back as JSON, their ids turned back into UUIDs.
The reminders asked for are locked (FOR UPDATE) until the transaction ends, as the reminder
schedule is changed from what they hold.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from sqlalchemy import text

from shared.db import UnitOfWork

_READ = text("""
select
  (select coalesce(jsonb_object_agg(r.id, r.version), '{}') from rdvs r
    where r.id = any(cast(:rdvs as uuid[]))) as held,
  (select coalesce(jsonb_agg(o), '[]') from organisations o
    where o.id = any(cast(:organisations as uuid[]))) as organisations,
  (select coalesce(jsonb_agg(m), '[]') from motifs m where m.id = any(cast(:motifs as uuid[]))) as motifs,
  (select coalesce(jsonb_agg(s), '[]') from services s
    where s.id in (select m.service_id from motifs m where m.id = any(cast(:motifs as uuid[])))) as services,
  (select coalesce(jsonb_agg(l), '[]') from lieux l where l.id = any(cast(:lieux as uuid[]))) as lieux,
  (select coalesce(jsonb_agg(u), '[]') from (
     select * from usagers where id = any(cast(:usagers as uuid[]))
     union all  -- and their responsibles (two key lookups: an OR would read the whole table)
     select r.* from usagers r join usagers u on u.responsible_id = r.id where u.id = any(cast(:usagers as uuid[]))
   ) u) as usagers,
  (select coalesce(jsonb_agg(a), '[]') from agents a where a.id = any(cast(:agents as uuid[]))) as agents,
  (select coalesce(jsonb_agg(x), '[]') from (
     select * from reminders where rdv_id = any(cast(:reminders as uuid[])) order by rdv_id for update
   ) x) as reminders
""")

_IDS = ("id", "organisation_id", "service_id", "responsible_id", "rdv_id", "occurrence_id")


@dataclass
class Snapshot:
    held: dict[uuid.UUID, int] = field(default_factory=dict)  # RDV id -> version held
    organisations: dict[uuid.UUID, dict] = field(default_factory=dict)
    motifs: dict[uuid.UUID, dict] = field(default_factory=dict)
    services: dict[uuid.UUID, dict] = field(default_factory=dict)
    lieux: dict[uuid.UUID, dict] = field(default_factory=dict)
    usagers: dict[uuid.UUID, dict] = field(default_factory=dict)  # with the responsibles of those asked for
    agents: dict[uuid.UUID, dict] = field(default_factory=dict)
    reminders: dict[uuid.UUID, dict] = field(default_factory=dict)  # by RDV id, locked


async def read(uow: UnitOfWork, *, rdvs: Iterable[uuid.UUID] = (), organisations: Iterable[uuid.UUID] = (),
               motifs: Iterable[uuid.UUID] = (), lieux: Iterable[uuid.UUID] = (),
               usagers: Iterable[uuid.UUID] = (), agents: Iterable[uuid.UUID] = (),
               reminders: Iterable[uuid.UUID] = ()) -> Snapshot:
    """The rows with these ids (absent ones are missing from the answer), in one query."""
    params = {"rdvs": rdvs, "organisations": organisations, "motifs": motifs, "lieux": lieux,
              "usagers": usagers, "agents": agents, "reminders": reminders}
    row = (await uow.execute(_READ, {k: sorted(set(v)) for k, v in params.items()})).one()
    reminders_by_rdv = {}
    for r in row.reminders:
        r = _typed(r)
        r["due_at"], r["updated_at"] = datetime.fromisoformat(r["due_at"]), datetime.fromisoformat(r["updated_at"])
        reminders_by_rdv[r["rdv_id"]] = r
    return Snapshot(held={uuid.UUID(k): v for k, v in row.held.items()},
                    organisations=_by_id(row.organisations), motifs=_by_id(row.motifs),
                    services=_by_id(row.services), lieux=_by_id(row.lieux), usagers=_by_id(row.usagers),
                    agents=_by_id(row.agents), reminders=reminders_by_rdv)


def _typed(row: dict) -> dict:
    for key in _IDS:
        if row.get(key) is not None:
            row[key] = uuid.UUID(row[key])
    return row


def _by_id(rows: list[dict]) -> dict[uuid.UUID, dict]:
    return {r["id"]: r for r in map(_typed, rows)}
