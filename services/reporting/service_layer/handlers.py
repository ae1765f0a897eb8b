"""Event handlers of the reporting projections: `async def handler(uow: ReportingUnitOfWork, envelope)`.

Payloads are read loosely (`.get`): a field added by a producer never breaks reporting, a missing
optional one leaves a blank cell. Names are joined at read time, so no handler needs another
projection to exist first (no RetryLater, whatever the order streams arrive in).
"""
from __future__ import annotations

import logging
import uuid
from datetime import date, datetime

from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared.events import Envelope
from shared.timeutil import DEFAULT_TIMEZONE, is_valid_timezone

log = logging.getLogger("rdv.reporting")


def _uuid(value) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _uuids(values) -> list[uuid.UUID]:
    return [_uuid(v) for v in (values or []) if v]


def _instant(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _day(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _version(rdv: dict) -> int | None:
    version = rdv.get("version")
    return int(version) if version is not None else None


# ---- booking.rdv.* ----------------------------------------------------------------------------

def _fact_rows(envelope: Envelope) -> tuple[dict, dict | None] | None:
    """The fact row of an RDV event, and its status-change row (status_changed only)."""
    rdv = envelope.data.get("rdv")
    if not isinstance(rdv, dict) or not rdv.get("id"):
        log.warning("reporting-facts: %s without rdv, ignored", envelope.type)
        return None
    starts_at = _instant(rdv.get("starts_at"))
    ends_at = _instant(rdv.get("ends_at"))
    duration = rdv.get("duration_minutes")
    if duration is None and starts_at and ends_at:
        duration = int((ends_at - starts_at).total_seconds() // 60)
    version = _version(rdv)
    row = {
        "id": _uuid(rdv["id"]),
        "organisation_id": _uuid(rdv.get("organisation_id") or envelope.organisation_id),
        "service_id": _uuid(rdv.get("service_id")),
        "motif_id": _uuid(rdv.get("motif_id")),
        "lieu_id": _uuid(rdv.get("lieu_id")),
        "agent_ids": _uuids(rdv.get("agent_ids")),
        "usager_ids": _uuids(rdv.get("usager_ids")),
        "origin": rdv.get("origin") or envelope.data.get("origin") or "agent",
        "created_by": _uuid(rdv.get("created_by")),
        "created_at": _instant(rdv.get("created_at")),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "duration_minutes": int(duration) if duration is not None else None,
        "status": rdv.get("status") or "unknown",
        "context": rdv.get("context"),
        "cancelled_at": _instant(rdv.get("cancelled_at")),
        "version": version,
    }
    change = None
    if envelope.type == "booking.rdv.status_changed":
        change = {
            "rdv_id": row["id"],
            # without a version (older producers), the instant keeps the history ordered
            "version": version if version is not None else int(envelope.occurred_at.timestamp() * 1000),
            "status": row["status"], "previous_status": envelope.data.get("previous_status"),
            "changed_at": envelope.occurred_at, "actor_id": envelope.actor.id}
    return row, change


PURGED = "booking.rdv.purged"


async def _purge(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """RGPD retention: booking deleted the RDV; its fact, history and notification outcomes go too."""
    rdv_id = _uuid(envelope.data.get("rdv_id"))
    if rdv_id:
        await uow.projections.purge_rdv(rdv_id)


async def on_rdv(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Upsert the RDV's fact row (newest version wins) and keep its status history."""
    if envelope.type == PURGED:
        await _purge(uow, envelope)
        return
    rows = _fact_rows(envelope)
    if rows is None:
        return
    row, change = rows
    await uow.projections.upsert_facts([row])
    if change:
        await uow.projections.record_status_changes([change])


def _newer(candidate: dict, held: dict) -> bool:
    if candidate["version"] is None or held["version"] is None:
        return True
    return candidate["version"] > held["version"]


async def on_rdvs(uow: ReportingUnitOfWork, envelopes: list[Envelope]) -> None:
    """A batch of RDV events in bulk; a purge (retention) applies in its place in the sequence."""
    start = 0
    for i, envelope in enumerate(envelopes):
        if envelope.type == PURGED:
            await _facts_in_bulk(uow, envelopes[start:i])
            await _purge(uow, envelope)
            start = i + 1
    await _facts_in_bulk(uow, envelopes[start:])


async def _facts_in_bulk(uow: ReportingUnitOfWork, envelopes: list[Envelope]) -> None:
    """Per RDV only its newest version is written (the database still refuses a version older
    than the one it holds), every status change is kept."""
    facts: dict = {}
    changes: list[dict] = []
    for envelope in envelopes:
        rows = _fact_rows(envelope)
        if rows is None:
            continue
        row, change = rows
        held = facts.get(row["id"])
        if held is None or _newer(row, held):
            facts[row["id"]] = row
        if change:
            changes.append(change)
    if facts:
        await uow.projections.upsert_facts(list(facts.values()))
    if changes:
        await uow.projections.record_status_changes(changes)


# ---- notifications.message.sent|failed ----------------------------------------------------------

def _message_row(envelope: Envelope) -> dict | None:
    """The outcome row of a notification of an RDV (None for a message about no RDV, e.g. an agent's digest)."""
    message = envelope.data.get("message") or {}
    if not message.get("id") or not message.get("rdv_id"):
        return None
    return {"message_id": _uuid(message["id"]), "rdv_id": _uuid(message["rdv_id"]),
            "organisation_id": envelope.organisation_id, "channel": message.get("channel") or "?",
            "kind": message.get("kind"), "status": "sent" if envelope.type.endswith(".sent") else "failed",
            "attempt": int(message.get("attempt") or 1), "at": envelope.occurred_at}


def _then(held: dict, row: dict) -> dict:
    """`held` then `row` for one message, as two upserts one after the other leave it: once sent, stays sent."""
    return {**held, "status": "sent" if held["status"] == "sent" else row["status"],
            "attempt": max(held["attempt"], row["attempt"]), "at": row["at"]}


async def on_message(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Record the outcome of one notification of an RDV; once sent, a message stays sent."""
    row = _message_row(envelope)
    if row is not None:
        await uow.projections.record_notification(row)


async def on_messages(uow: ReportingUnitOfWork, envelopes: list[Envelope]) -> None:
    """Notification outcomes of a batch in one statement (outcomes of one message folded in order)."""
    rows: dict = {}
    for envelope in envelopes:
        row = _message_row(envelope)
        if row is not None:
            held = rows.get(row["message_id"])
            rows[row["message_id"]] = row if held is None else _then(held, row)
    if rows:
        await uow.projections.record_notifications([rows[k] for k in sorted(rows)])  # one lock order


# ---- directory.* --------------------------------------------------------------------------------

async def on_directory(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Keep the names (and the organisation's timezone and slug) the reports show."""
    _, aggregate, verb = envelope.type.split(".", 2)
    deleted = verb == "deleted"
    if aggregate == "organisation":
        org = envelope.data.get("organisation") or {}
        timezone = org.get("timezone") if is_valid_timezone(org.get("timezone") or "") else DEFAULT_TIMEZONE
        await uow.projections.upsert_organisation({
            "id": _uuid(org.get("id") or envelope.organisation_id), "name": org.get("name") or "",
            "slug": org.get("slug"), "timezone": timezone})
    elif aggregate == "service":
        service = envelope.data.get("service") or {}
        if service.get("id"):
            await uow.projections.upsert_service({
                "id": _uuid(service["id"]), "organisation_id": envelope.organisation_id,
                "name": service.get("name") or "", "short_name": service.get("short_name"), "deleted": deleted})
    elif aggregate == "agent":
        agent = envelope.data.get("agent") or {}
        if agent.get("id"):
            await uow.projections.upsert_agent({
                "id": _uuid(agent["id"]), "organisation_id": envelope.organisation_id,
                "first_name": agent.get("first_name"), "last_name": agent.get("last_name"),
                "email": agent.get("email"), "deleted": deleted})


# ---- availability.motif.* | availability.lieu.* -------------------------------------------------

async def on_catalog(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Keep motif names and location types, and lieu names."""
    _, aggregate, verb = envelope.type.split(".", 2)
    deleted = verb == "deleted"
    if aggregate == "motif":
        motif = envelope.data.get("motif") or {}
        if motif.get("id"):
            await uow.projections.upsert_motif({
                "id": _uuid(motif["id"]), "organisation_id": envelope.organisation_id,
                "name": motif.get("name") or "", "service_id": _uuid(motif.get("service_id")),
                "location_type": motif.get("location_type"), "deleted": deleted})
    elif aggregate == "lieu":
        lieu = envelope.data.get("lieu") or {}
        if lieu.get("id"):
            await uow.projections.upsert_lieu({
                "id": _uuid(lieu["id"]), "organisation_id": envelope.organisation_id,
                "name": lieu.get("name") or "", "address": lieu.get("address"), "deleted": deleted})


# ---- usagers.usager.* ---------------------------------------------------------------------------

async def on_usager(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Keep names and birth dates; `anonymized` drops every personal datum we hold of that person."""
    if envelope.type == "usagers.usager.anonymized":
        usager_id = _uuid(envelope.data.get("usager_id") or (envelope.data.get("usager") or {}).get("id"))
        if usager_id:
            await uow.projections.anonymize_usager({"id": usager_id,
                                                             "organisation_id": envelope.organisation_id})
        return
    usager = envelope.data.get("usager") or {}
    if not usager.get("id"):
        return
    await uow.projections.upsert_usager({
        "id": _uuid(usager["id"]),
        "organisation_id": _uuid(usager.get("organisation_id") or envelope.organisation_id),
        "first_name": usager.get("first_name"), "last_name": usager.get("last_name"),
        "birth_date": _day(usager.get("birth_date"))})
