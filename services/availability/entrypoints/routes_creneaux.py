"""Créneaux (agents and public page), their explanation, the agenda and the holidays."""
from __future__ import annotations

import json
import uuid
from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import AwareDatetime

from services.availability.domain import jours_feries
from services.availability.entrypoints.deps import Caller, Identity, database, uuid_list
from services.availability.service_layer import agenda as agenda_uc
from services.availability.service_layer import creneaux, verdicts, views
from services.availability.service_layer.creneaux import holiday_rules
from shared.db import Database
from shared.errors import ValidationFailed

router = APIRouter(prefix="/v1", tags=["créneaux"])


_WITH_AGENT = '{"starts_at":"%s","ends_at":"%s","agent_id":"%s","lieu_id":"%s","motif_id":"%s"}'
_WITHOUT_AGENT = '{"starts_at":"%s","ends_at":"%s","lieu_id":"%s","motif_id":"%s"}'


def _render(result: creneaux.Result, *, with_agent: bool) -> Response:
    """`{items, next_available}` as JSON. A search answers thousands of créneaux whose every value is an
    ISO instant or a UUID (nothing to escape): formatting them with a template is ~4x faster than
    building dicts for json.dumps. Texts are memoised per instant and per id object (by `id()`,
    whose hashing is in C, unlike a UUID's)."""
    zone, motif_id = result.zone, str(result.motif.id)
    times: dict[int, str] = {}
    names: dict[int, str] = {}

    def time_text(instant: int) -> str:
        times[instant] = text = views.iso_epoch(instant, zone)
        return text

    def name_text(value: uuid.UUID) -> str:
        names[id(value)] = text = str(value)
        return text

    items = []
    append = items.append
    for start, end, agent, lieu in result.items:
        starts = times.get(start) or time_text(start)
        ends = times.get(end) or time_text(end)
        lieu_text = names.get(id(lieu)) or name_text(lieu)
        if with_agent:
            append(_WITH_AGENT % (starts, ends, names.get(id(agent)) or name_text(agent), lieu_text, motif_id))
        else:
            append(_WITHOUT_AGENT % (starts, ends, lieu_text, motif_id))
    following = views.iso_epoch(result.next_available, zone) if result.next_available is not None else None
    body = '{"items":[' + ",".join(items) + '],"next_available":' + json.dumps(following) + "}"
    return Response(body.encode(), media_type="application/json")


@router.get("/creneaux")
async def search_creneaux(motif_id: uuid.UUID, first: date = Query(alias="from"), last: date = Query(alias="to"),
                          lieu_id: uuid.UUID | None = None, agent_ids: str | None = None,
                          agent_id: uuid.UUID | None = None, identity: Identity = Caller,
                          db: Database = Depends(database)):
    """Free créneaux of a motif for the given agents (default: every agent of the organisation)."""
    identity.require_agent()
    agents = uuid_list(agent_ids, "agent_ids")
    if agent_id is not None:
        agents = [agent_id]
    result = await creneaux.search(db=db, identity=identity, motif_id=motif_id, first=first, last=last,
                                   lieu_id=lieu_id, agent_ids=agents)
    return _render(result, with_agent=True)


@router.get("/public/creneaux")
async def public_creneaux(motif_id: uuid.UUID, first: date = Query(alias="from"), last: date = Query(alias="to"),
                          lieu_id: uuid.UUID | None = None, identity: Identity = Caller,
                          db: Database = Depends(database)):
    """Créneaux of the public page: reservable online, within the motif's delays, no agent."""
    result = await creneaux.search_public(db=db, identity=identity, motif_id=motif_id, first=first, last=last,
                                          lieu_id=lieu_id)
    return _render(result, with_agent=False)


@router.get("/creneaux/explain")
async def explain(agent_id: uuid.UUID, motif_id: uuid.UUID, starts_at: AwareDatetime, identity: Identity = Caller,
                  db: Database = Depends(database)):
    """Whether this start is free for the agent and motif, and why not."""
    found = await verdicts.explain(db=db, identity=identity, agent_id=agent_id, motif_id=motif_id,
                                   starts_at=starts_at)
    return {"free": found.free, "reasons": [r.message for r in found.reasons],
            "details": [{"code": r.code, "message": r.message, **r.ref} for r in found.reasons],
            "starts_at": views.iso_epoch(found.starts_at, identity.timezone),
            "ends_at": views.iso_epoch(found.ends_at, identity.timezone)}


@router.get("/agenda")
async def agenda(agent_id: uuid.UUID, first: date = Query(alias="from"), last: date = Query(alias="to"),
                 identity: Identity = Caller, db: Database = Depends(database)):
    """The agent's calendar: plage and absence occurrences, holidays and RDVs in the window."""
    zone = identity.timezone
    found = await agenda_uc.agenda(db=db, identity=identity, agent_id=agent_id, first=first, last=last)

    def absence_title(o) -> str:
        return o.source.title if o.source.organisation_id == identity.organisation_id else "Indisponibilité"

    return {
        "agent_id": str(agent_id), "from": first.isoformat(), "to": last.isoformat(),
        "plages": [{"plage_id": str(o.source.id), "title": o.source.title, "lieu_id": str(o.source.lieu_id),
                    "motif_ids": [str(m) for m in o.source.motif_ids], "starts_at": views.iso_epoch(o.start, zone),
                    "ends_at": views.iso_epoch(o.end, zone)} for o in found.plages],
        "absences": [{"absence_id": str(o.source.id) if o.source.organisation_id == identity.organisation_id
                      else None, "title": absence_title(o), "starts_at": views.iso_epoch(o.start, zone),
                      "ends_at": views.iso_epoch(o.end, zone)} for o in found.absences],
        "holidays": [{"day": d.isoformat(), "name": n} for d, n in sorted(found.holidays.items())],
        "rdvs": [views.rdv(r, zone) for r in found.rdvs],
    }


@router.get("/jours-feries")
async def holidays(year: int = Query(ge=jours_feries.FIRST_YEAR, le=jours_feries.LAST_YEAR), zone: str | None = None,
                   observances: str | None = None, identity: Identity = Caller):
    """Public holidays of a year in a zone (default: the organisation's zone and observances), French names."""
    own_zone, own_observances = holiday_rules(identity)
    chosen, observed = zone or own_zone, observances or own_observances
    if not jours_feries.is_zone(chosen):
        message = "Zone inconnue : " + ", ".join(jours_feries.ZONES) + "."
        raise ValidationFailed(message, details={"fields": {"zone": message}})
    if observed not in jours_feries.OBSERVANCES:
        message = "Choix inconnu : " + ", ".join(jours_feries.OBSERVANCES) + "."
        raise ValidationFailed(message, details={"fields": {"observances": message}})
    return [{"day": d.isoformat(), "name": n, "statutory": jours_feries.is_statutory_day(chosen, n)}
            for d, n in jours_feries.of_year(year, chosen, observed)]
