"""Writes of the projections. Each runs inside the consumer's transaction (the inbox row of the event
is written in the same one, so a redelivered event changes nothing); and the reset of a rebuild."""
from __future__ import annotations

from sqlalchemy import text

from services.reporting.adapters.tables import PROJECTION_TABLES
from shared.db import UnitOfWork
from shared.sqljson import json_rows

# Many RDVs (distinct ids) in one statement. The rows travel as one JSON parameter: psycopg dumps a
# list parameter element by element in Python (17 arrays cost about 45 us per RDV), json.dumps in C.
_UPSERT_FACTS = text("""
insert into rdv_facts (id, organisation_id, service_id, motif_id, lieu_id, agent_ids, usager_ids, origin,
                       created_by, created_at, starts_at, ends_at, duration_minutes, status, context,
                       cancelled_at, version, applied_at)
select t.id, t.organisation_id, t.service_id, t.motif_id, t.lieu_id, t.agent_ids, t.usager_ids, t.origin,
       t.created_by, t.created_at, t.starts_at, t.ends_at, t.duration_minutes, t.status, t.context,
       t.cancelled_at, t.version, clock_timestamp()
from json_to_recordset(cast(:rows as json))
    as t(id uuid, organisation_id uuid, service_id uuid, motif_id uuid, lieu_id uuid, agent_ids uuid[],
         usager_ids uuid[], origin text, created_by uuid, created_at timestamptz, starts_at timestamptz,
         ends_at timestamptz, duration_minutes int, status text, context text, cancelled_at timestamptz,
         version bigint)
order by t.id
on conflict (id) do update set
    organisation_id = excluded.organisation_id, service_id = excluded.service_id,
    motif_id = excluded.motif_id, lieu_id = excluded.lieu_id, agent_ids = excluded.agent_ids,
    usager_ids = excluded.usager_ids, origin = excluded.origin,
    created_by = coalesce(excluded.created_by, rdv_facts.created_by),
    created_at = coalesce(excluded.created_at, rdv_facts.created_at), starts_at = excluded.starts_at,
    ends_at = excluded.ends_at, duration_minutes = excluded.duration_minutes, status = excluded.status,
    context = excluded.context, cancelled_at = excluded.cancelled_at, version = excluded.version,
    applied_at = excluded.applied_at
-- an event whose version is not newer than what we hold is ignored (redelivery, reordering)
where rdv_facts.version is null or excluded.version is null or rdv_facts.version < excluded.version
""")

# Status changes of a batch in one statement (an executemany ran one INSERT each); in order, so that
# of two rows with one (rdv_id, version) the first is kept, as one INSERT after the other did.
_STATUS_CHANGES = text("""
insert into rdv_status_changes (rdv_id, version, status, previous_status, changed_at, actor_id)
select t.rdv_id, t.version, t.status, t.previous_status, t.changed_at, t.actor_id
from json_to_recordset(cast(:rows as json))
    as t(rdv_id uuid, version bigint, status text, previous_status text, changed_at timestamptz, actor_id uuid)
on conflict do nothing
""")

_NOTIFICATION = text("""
insert into rdv_notifications (message_id, rdv_id, organisation_id, channel, kind, status, attempt, at)
values (:message_id, :rdv_id, :organisation_id, :channel, :kind, :status, :attempt, :at)
on conflict (message_id) do update set
    status = case when rdv_notifications.status = 'sent' then 'sent' else excluded.status end,
    attempt = greatest(rdv_notifications.attempt, excluded.attempt), at = excluded.at
""")

# Many messages (distinct ids) in one statement, same rule as _NOTIFICATION (rows as one JSON parameter).
_NOTIFICATIONS = text("""
insert into rdv_notifications (message_id, rdv_id, organisation_id, channel, kind, status, attempt, at)
select t.message_id, t.rdv_id, t.organisation_id, t.channel, t.kind, t.status, t.attempt, t.at
from json_to_recordset(cast(:rows as json))
    as t(message_id uuid, rdv_id uuid, organisation_id uuid, channel text, kind text, status text, attempt int,
         at timestamptz)
on conflict (message_id) do update set
    status = case when rdv_notifications.status = 'sent' then 'sent' else excluded.status end,
    attempt = greatest(rdv_notifications.attempt, excluded.attempt), at = excluded.at
""")

_ORGANISATION = text("""
insert into organisations (id, name, slug, timezone) values (:id, :name, :slug, :timezone)
on conflict (id) do update set name = excluded.name, slug = excluded.slug, timezone = excluded.timezone
""")

_SERVICE = text("""
insert into services (id, organisation_id, name, short_name, deleted)
values (:id, :organisation_id, :name, :short_name, :deleted)
on conflict (id) do update set name = excluded.name, short_name = excluded.short_name,
    deleted = excluded.deleted, organisation_id = coalesce(excluded.organisation_id, services.organisation_id)
""")

_AGENT = text("""
insert into agents (id, organisation_id, first_name, last_name, email, deleted)
values (:id, :organisation_id, :first_name, :last_name, :email, :deleted)
on conflict (id) do update set first_name = excluded.first_name, last_name = excluded.last_name,
    email = excluded.email, deleted = excluded.deleted,
    organisation_id = coalesce(excluded.organisation_id, agents.organisation_id)
""")

_MOTIF = text("""
insert into motifs (id, organisation_id, name, service_id, location_type, deleted)
values (:id, :organisation_id, :name, :service_id, :location_type, :deleted)
on conflict (id) do update set name = excluded.name, service_id = excluded.service_id,
    location_type = excluded.location_type, deleted = excluded.deleted,
    organisation_id = coalesce(excluded.organisation_id, motifs.organisation_id)
""")

_LIEU = text("""
insert into lieux (id, organisation_id, name, address, deleted)
values (:id, :organisation_id, :name, :address, :deleted)
on conflict (id) do update set name = excluded.name, address = excluded.address, deleted = excluded.deleted,
    organisation_id = coalesce(excluded.organisation_id, lieux.organisation_id)
""")

_USAGER = text("""
insert into usagers (id, organisation_id, first_name, last_name, birth_date)
values (:id, :organisation_id, :first_name, :last_name, :birth_date)
on conflict (id) do update set first_name = excluded.first_name, last_name = excluded.last_name,
    birth_date = excluded.birth_date, organisation_id = coalesce(excluded.organisation_id, usagers.organisation_id)
-- once anonymised, a person's data never comes back (a late or redelivered update is ignored)
where not usagers.anonymized
""")

_ANONYMIZE = text("""
insert into usagers (id, organisation_id, first_name, last_name, birth_date, anonymized)
values (:id, :organisation_id, null, null, null, true)
on conflict (id) do update set first_name = null, last_name = null, birth_date = null, anonymized = true
""")


_FACT_KEYS = ("id", "organisation_id", "service_id", "motif_id", "lieu_id", "agent_ids", "usager_ids", "origin",
              "created_by", "created_at", "starts_at", "ends_at", "duration_minutes", "status", "context",
              "cancelled_at", "version")
_STATUS_CHANGE_KEYS = ("rdv_id", "version", "status", "previous_status", "changed_at", "actor_id")
_NOTIFICATION_KEYS = ("message_id", "rdv_id", "organisation_id", "channel", "kind", "status", "attempt", "at")


class ProjectionRepository:
    """The projections reporting keeps from other services' events, written in the consumer's transaction."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def upsert_facts(self, rows: list[dict]) -> None:
        """Many RDVs (distinct ids) at once: one statement."""
        await self._uow.execute(_UPSERT_FACTS, {"rows": json_rows(rows, _FACT_KEYS)})

    async def record_status_changes(self, rows: list[dict]) -> None:
        await self._uow.execute(_STATUS_CHANGES, {"rows": json_rows(rows, _STATUS_CHANGE_KEYS)})

    async def record_notification(self, row: dict) -> None:
        await self._uow.execute(_NOTIFICATION, row)

    async def record_notifications(self, rows: list[dict]) -> None:
        """Outcomes of many messages (distinct ids) in one statement."""
        await self._uow.execute(_NOTIFICATIONS, {"rows": json_rows(rows, _NOTIFICATION_KEYS)})

    async def upsert_organisation(self, row: dict) -> None:
        await self._uow.execute(_ORGANISATION, row)

    async def upsert_service(self, row: dict) -> None:
        await self._uow.execute(_SERVICE, row)

    async def upsert_agent(self, row: dict) -> None:
        await self._uow.execute(_AGENT, row)

    async def upsert_motif(self, row: dict) -> None:
        await self._uow.execute(_MOTIF, row)

    async def upsert_lieu(self, row: dict) -> None:
        await self._uow.execute(_LIEU, row)

    async def upsert_usager(self, row: dict) -> None:
        await self._uow.execute(_USAGER, row)

    async def anonymize_usager(self, row: dict) -> None:
        await self._uow.execute(_ANONYMIZE, row)

    async def purge_rdv(self, rdv_id) -> None:
        """Forget an RDV that booking deleted (retention): its fact, status history, notification outcomes."""
        for table in ("rdv_notifications", "rdv_status_changes", "rdv_facts"):
            column = "id" if table == "rdv_facts" else "rdv_id"
            await self._uow.execute(text(f"delete from {table} where {column} = :id"), {"id": rdv_id})

    async def reset(self, *, consumers: list[str]) -> None:
        """Empty every projection and forget which events these consumers applied (for a replay)."""
        await self._uow.execute(text("truncate " + ", ".join(PROJECTION_TABLES)))
        await self._uow.execute(text("delete from inbox where consumer = any(:names)"), {"names": consumers})

    async def counts(self) -> dict[str, int]:
        """How many RDV facts and usagers the projections hold."""
        row = (await self._uow.execute(text(
            "select (select count(*) from rdv_facts) as rdv_facts, (select count(*) from usagers) as usagers"))).one()
        return {"rdv_facts": row.rdv_facts, "usagers": row.usagers}
