"""The pseudonymised RDV events for consumers outside the project (docs/consumers.md).

Reporting's consumer `reporting-public` reads `booking.rdv.>` and publishes, through its outbox, one
`reporting.rdv.<verb>` event per RDV event, keeping only what a statistics team needs: no names, phones,
e-mails nor free text (`context`), no author (`created_by`, `actor.id`: an usager may be one). Each usager id
becomes a stable pseudonym: HMAC-SHA256 of the id under RDV_PSEUDONYM_KEY, shaped as a UUID: the same usager
always gets the same pseudonym, which cannot be turned back into the id without the key.
The event id is derived from the source event's id, so a redelivered source gives the same event (JetStream
drops the copy within its duplicate window; the inbox already applies each source event once).
"""
from __future__ import annotations

import hashlib
import hmac
import uuid

from pydantic import BaseModel

from services.reporting.config import pseudonym_secret
from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared import events
from shared.events import CATALOGUE, Actor, Envelope

NAMESPACE = uuid.UUID("6f0f7c1e-4a8e-4d0b-9a51-2b3a7c1d5e90")
# What an outside consumer gets of an RDV (never context, created_by, nor an usager's own id).
RDV_FIELDS = ("id", "organisation_id", "motif_id", "lieu_id", "agent_ids", "starts_at", "ends_at", "status",
              "created_at", "cancelled_at")
CHANGE_FIELDS = {"starts_at", "ends_at", "status", "motif_id", "lieu_id", "agent_ids", "duration_minutes"}


def pseudonym_key() -> bytes:
    return pseudonym_secret()


def pseudonym(usager_id: Any, key: bytes | None = None) -> str:
    digest = hmac.new(key or pseudonym_key(), f"usager:{usager_id}".encode(), hashlib.sha256).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def public_rdv(rdv: events.Rdv, key: bytes) -> events.PublicRdv:
    """What an outside consumer gets of an RDV: the public fields the source carries, usagers as pseudonyms."""
    fields = {name: getattr(rdv, name) for name in RDV_FIELDS if name in rdv.model_fields_set}
    return events.PublicRdv(**fields, usager_pseudonyms=[pseudonym(u, key) for u in rdv.usager_ids])


def _public_data(envelope: Envelope, verb: str, key: bytes) -> BaseModel:
    """The data of `reporting.rdv.<verb>` for the source's, validated into its catalogue model."""
    source = envelope.data_as(CATALOGUE[envelope.type])
    if verb == "purged":
        return events.PublicRdvPurgedData(rdv_id=source.rdv_id, ends_at=source.ends_at,
                                          usager_pseudonyms=[pseudonym(u, key) for u in source.usager_ids])
    kept = {name: getattr(source, name) for name in ("origin", "previous_status") if name in source.model_fields_set}
    if "changes" in source.model_fields_set:
        kept["changes"] = {k: v for k, v in source.changes.items() if k in CHANGE_FIELDS}
    return events.PublicRdvData(rdv=public_rdv(source.rdv, key), **kept)


def pseudonymised(envelope: Envelope, key: bytes | None = None) -> Envelope | None:
    """The `reporting.rdv.<verb>` event for a `booking.rdv.<verb>` one (None for another type)."""
    if not envelope.type.startswith("booking.rdv."):
        return None
    verb = envelope.type.rsplit(".", 1)[1]
    data = _public_data(envelope, verb, key or pseudonym_key())
    return Envelope(id=uuid.uuid5(NAMESPACE, str(envelope.id)), type=f"reporting.rdv.{verb}",
                    version=envelope.version, occurred_at=envelope.occurred_at,
                    organisation_id=envelope.organisation_id, actor=Actor(kind=envelope.actor.kind),
                    data=data.model_dump(mode="json", exclude_unset=True), traceparent=envelope.traceparent)


async def on_rdv_public(uow: ReportingUnitOfWork, envelope: Envelope) -> None:
    """Consumer `reporting-public`: the pseudonymised event goes to the outbox in the inbox's transaction."""
    event = pseudonymised(envelope)
    if event is not None:
        uow.publish(event)
