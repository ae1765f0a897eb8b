"""Event handlers of the reporting projections: `async def handler(uow: ReportingUnitOfWork, envelope)`.

Each event's data is validated into the model of what reporting reads of it (service_layer/events.py):
read loosely, a field added by a producer never breaks reporting, a missing optional one leaves a blank
cell. Names are joined at read time, so no handler needs another projection to exist first (no
RetryLater, whatever the order streams arrive in).
"""
from __future__ import annotations

import logging
from datetime import date

from services.reporting.service_layer.events import (EntityData, FactRdv, MessageData, Named, RdvEventData,
                                                     RdvPurgedData, UsagerData)
from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared.events import Envelope
from shared.timeutil import DEFAULT_TIMEZONE, is_valid_timezone

log = logging.getLogger("rdv.reporting")


def _day(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# ---- booking.rdv.* ----------------------------------------------------------------------------

def _fact_rows(envelope: Envelope) -> tuple[dict, dict | None] | None:
    """The fact row of an RDV event, and its status-change row (status_changed only)."""
    data = RdvEventData.model_validate(envelope.data)
    rdv = data.rdv
    if rdv is None or rdv.id is None:
        log.warning("reporting-facts: %s without rdv, ignored", envelope.type)
        return None
    row = _fact_row(rdv, data, envelope)
    change = None
    if envelope.type == "booking.rdv.status_changed":
        change = {
            "rdv_id": row["id"],
            # without a version (older producers), the instant keeps the history ordered
            "version": rdv.version if rdv.version is not None else int(envelope.occurred_at.timestamp() * 1000),
            "status": row["status"], "previous_status": data.previous_status,
            "changed_at": envelope.occurred_at, "actor_id": envelope.actor.id}
    return row, change


def _fact_row(rdv: FactRdv, data: RdvEventData, envelope: Envelope) -> dict:
    duration = rdv.duration_minutes
    if duration is None and rdv.starts_at and rdv.ends_at:
        duration = int((rdv.ends_at - rdv.starts_at).total_seconds() // 60)
    return {
        "id": rdv.id, "organisation_id": rdv.organisation_id or envelope.organisation_id,
        "service_id": rdv.service_id, "motif_id": rdv.motif_id, "lieu_id": rdv.lieu_id,
        "agent_ids": rdv.agent_ids or [], "usager_ids": rdv.usager_ids or [],
        "origin": rdv.origin or data.origin or "agent", "created_by": rdv.created_by, "created_at": rdv.created_at,
        "starts_at": rdv.starts_at, "ends_at": rdv.ends_at, "duration_minutes": duration,
        "status": rdv.status or "unknown", "context": rdv.context, "cancelled_at": rdv.cancelled_at,
        "version": rdv.version,
    }


PURGED = "booking.rdv.purged"


async def _purge(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """RGPD retention: booking deleted the RDV; its fact, history and notification outcomes go too."""
    rdv_id = RdvPurgedData.model_validate(envelope.data).rdv_id
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
    message = MessageData.model_validate(envelope.data).message
    if message is None or not message.id or not message.rdv_id:
        return None
    return {"message_id": message.id, "rdv_id": message.rdv_id, "organisation_id": envelope.organisation_id,
            "channel": message.channel or "?", "kind": message.kind,
            "status": "sent" if envelope.type.endswith(".sent") else "failed", "attempt": message.attempt or 1,
            "at": envelope.occurred_at}


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
    entity = getattr(EntityData.model_validate(envelope.data), aggregate, None)
    if aggregate == "organisation":
        org = entity or Named()  # the envelope's organisation, unnamed
        timezone = org.timezone if is_valid_timezone(org.timezone or "") else DEFAULT_TIMEZONE
        await uow.projections.upsert_organisation({
            "id": org.id or envelope.organisation_id, "name": org.name or "", "slug": org.slug, "timezone": timezone})
    elif entity is None or entity.id is None:
        return
    elif aggregate == "service":
        await uow.projections.upsert_service({
            "id": entity.id, "organisation_id": envelope.organisation_id, "name": entity.name or "",
            "short_name": entity.short_name, "deleted": deleted})
    elif aggregate == "agent":
        await uow.projections.upsert_agent({
            "id": entity.id, "organisation_id": envelope.organisation_id, "first_name": entity.first_name,
            "last_name": entity.last_name, "email": entity.email, "deleted": deleted})


# ---- availability.motif.* | availability.lieu.* -------------------------------------------------

async def on_catalog(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Keep motif names and location types, and lieu names."""
    _, aggregate, verb = envelope.type.split(".", 2)
    deleted = verb == "deleted"
    entity = getattr(EntityData.model_validate(envelope.data), aggregate, None)
    if entity is None or entity.id is None:
        return
    if aggregate == "motif":
        await uow.projections.upsert_motif({
            "id": entity.id, "organisation_id": envelope.organisation_id, "name": entity.name or "",
            "service_id": entity.service_id, "location_type": entity.location_type, "deleted": deleted})
    elif aggregate == "lieu":
        await uow.projections.upsert_lieu({
            "id": entity.id, "organisation_id": envelope.organisation_id, "name": entity.name or "",
            "address": entity.address, "deleted": deleted})


# ---- usagers.usager.* ---------------------------------------------------------------------------

async def on_usager(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Keep names and birth dates; `anonymized` drops every personal datum we hold of that person."""
    data = UsagerData.model_validate(envelope.data)
    if envelope.type == "usagers.usager.anonymized":
        usager_id = data.usager_id or (data.usager.id if data.usager else None)
        if usager_id:
            await uow.projections.anonymize_usager({"id": usager_id, "organisation_id": envelope.organisation_id})
        return
    usager = data.usager
    if usager is None or usager.id is None:
        return
    await uow.projections.upsert_usager({
        "id": usager.id, "organisation_id": usager.organisation_id or envelope.organisation_id,
        "first_name": usager.first_name, "last_name": usager.last_name, "birth_date": _day(usager.birth_date)})
