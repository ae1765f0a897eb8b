"""Writes of the projections. Each function runs inside the consumer's transaction (the inbox
row of the event is written in the same one, so a redelivered event changes nothing)."""
from __future__ import annotations

from sqlalchemy import text

# Many RDVs (distinct ids) in one statement; arrays of unequal lengths travel as uuid[] literals.
_UPSERT_FACTS = text("""
insert into rdv_facts (id, organisation_id, service_id, motif_id, lieu_id, agent_ids, usager_ids, origin,
                       created_by, created_at, starts_at, ends_at, duration_minutes, status, context,
                       cancelled_at, version, applied_at)
select t.id, t.organisation_id, t.service_id, t.motif_id, t.lieu_id, cast(t.agent_ids as uuid[]),
       cast(t.usager_ids as uuid[]), t.origin, t.created_by, t.created_at, t.starts_at, t.ends_at,
       t.duration_minutes, t.status, t.context, t.cancelled_at, t.version, clock_timestamp()
from unnest(cast(:ids as uuid[]), cast(:organisation_ids as uuid[]), cast(:service_ids as uuid[]),
            cast(:motif_ids as uuid[]), cast(:lieu_ids as uuid[]), cast(:agent_ids as text[]),
            cast(:usager_ids as text[]), cast(:origins as text[]), cast(:created_bys as uuid[]),
            cast(:created_ats as timestamptz[]), cast(:starts_ats as timestamptz[]), cast(:ends_ats as timestamptz[]),
            cast(:durations as int[]), cast(:statuses as text[]), cast(:contexts as text[]),
            cast(:cancelled_ats as timestamptz[]), cast(:versions as bigint[]))
    as t(id, organisation_id, service_id, motif_id, lieu_id, agent_ids, usager_ids, origin, created_by, created_at,
         starts_at, ends_at, duration_minutes, status, context, cancelled_at, version)
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

_STATUS_CHANGE = text("""
insert into rdv_status_changes (rdv_id, version, status, previous_status, changed_at, actor_id)
values (:rdv_id, :version, :status, :previous_status, :changed_at, :actor_id)
on conflict do nothing
""")

_NOTIFICATION = text("""
insert into rdv_notifications (message_id, rdv_id, organisation_id, channel, kind, status, attempt, at)
values (:message_id, :rdv_id, :organisation_id, :channel, :kind, :status, :attempt, :at)
on conflict (message_id) do update set
    status = case when rdv_notifications.status = 'sent' then 'sent' else excluded.status end,
    attempt = greatest(rdv_notifications.attempt, excluded.attempt), at = excluded.at
""")

# Many messages (distinct ids) in one statement, same rule as _NOTIFICATION.
_NOTIFICATIONS = text("""
insert into rdv_notifications (message_id, rdv_id, organisation_id, channel, kind, status, attempt, at)
select * from unnest(cast(:message_ids as uuid[]), cast(:rdv_ids as uuid[]), cast(:organisation_ids as uuid[]),
                     cast(:channels as text[]), cast(:kinds as text[]), cast(:statuses as text[]),
                     cast(:attempts as int[]), cast(:ats as timestamptz[]))
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


def _uuid_array(values) -> str:
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


async def upsert_fact(session, row: dict) -> None:
    await upsert_facts(session, [row])


async def upsert_facts(session, rows: list[dict]) -> None:
    """Many RDVs (distinct ids) at once: one statement."""
    await session.execute(_UPSERT_FACTS, {
        "ids": [r["id"] for r in rows], "organisation_ids": [r["organisation_id"] for r in rows],
        "service_ids": [r["service_id"] for r in rows], "motif_ids": [r["motif_id"] for r in rows],
        "lieu_ids": [r["lieu_id"] for r in rows], "agent_ids": [_uuid_array(r["agent_ids"]) for r in rows],
        "usager_ids": [_uuid_array(r["usager_ids"]) for r in rows], "origins": [r["origin"] for r in rows],
        "created_bys": [r["created_by"] for r in rows], "created_ats": [r["created_at"] for r in rows],
        "starts_ats": [r["starts_at"] for r in rows], "ends_ats": [r["ends_at"] for r in rows],
        "durations": [r["duration_minutes"] for r in rows], "statuses": [r["status"] for r in rows],
        "contexts": [r["context"] for r in rows], "cancelled_ats": [r["cancelled_at"] for r in rows],
        "versions": [r["version"] for r in rows]})


async def record_status_changes(session, rows: list[dict]) -> None:
    await session.execute(_STATUS_CHANGE, rows)


async def record_status_change(session, row: dict) -> None:
    await session.execute(_STATUS_CHANGE, row)


async def record_notification(session, row: dict) -> None:
    await session.execute(_NOTIFICATION, row)


async def record_notifications(session, rows: list[dict]) -> None:
    """Outcomes of many messages (distinct ids) in one statement."""
    await session.execute(_NOTIFICATIONS, {
        "message_ids": [r["message_id"] for r in rows], "rdv_ids": [r["rdv_id"] for r in rows],
        "organisation_ids": [r["organisation_id"] for r in rows], "channels": [r["channel"] for r in rows],
        "kinds": [r["kind"] for r in rows], "statuses": [r["status"] for r in rows],
        "attempts": [r["attempt"] for r in rows], "ats": [r["at"] for r in rows]})


async def upsert_organisation(session, row: dict) -> None:
    await session.execute(_ORGANISATION, row)


async def upsert_service(session, row: dict) -> None:
    await session.execute(_SERVICE, row)


async def upsert_agent(session, row: dict) -> None:
    await session.execute(_AGENT, row)


async def upsert_motif(session, row: dict) -> None:
    await session.execute(_MOTIF, row)


async def upsert_lieu(session, row: dict) -> None:
    await session.execute(_LIEU, row)


async def upsert_usager(session, row: dict) -> None:
    await session.execute(_USAGER, row)


async def anonymize_usager(session, row: dict) -> None:
    await session.execute(_ANONYMIZE, row)


async def purge_rdv(session, rdv_id) -> None:
    """Forget an RDV that booking deleted (retention): its fact, status history, notification outcomes."""
    for table in ("rdv_notifications", "rdv_status_changes", "rdv_facts"):
        column = "id" if table == "rdv_facts" else "rdv_id"
        await session.execute(text(f"delete from {table} where {column} = :id"), {"id": rdv_id})
