"""RDVs a plage holds that a change or a deletion would leave outside every plage of their agent.

Asked before the change (`dry_run=true`) so that the agent chooses: keep those RDVs, or cancel
them and tell the usagers. Read from the busy projection (booking.rdv.*): the RDVs still to come
(`unknown`, starting after now) of the plage's agent.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from services.availability.domain.model import BusyRdv, Plage
from services.availability.domain.occurrences import instant
from services.availability.domain.verdict import containing_plage
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork
from shared import clock

TO_COME = "unknown"


def _holds(plage: Plage, rdv: BusyRdv, zone: str) -> bool:
    """Whether an occurrence of the plage holds the RDV (its motif, at its lieu, its whole interval)."""
    if rdv.motif_id is not None and rdv.motif_id not in plage.motif_ids:
        return False
    return containing_plage([plage], int(rdv.starts_at.timestamp()), int(rdv.ends_at.timestamp()), zone,
                            rdv.lieu_id) is not None


def _end_of(plage: Plage, zone: str) -> datetime | None:
    last = plage.last_day
    if last is None:
        return None
    return datetime.fromtimestamp(instant(last + timedelta(days=1), time(0), zone), timezone.utc)


async def rdvs_orphaned(*, uow: AvailabilityUnitOfWork, before: Plage, after: Plage | None,
                        now: datetime | None = None) -> list[BusyRdv]:
    """RDVs to come held by `before` that no plage of their agent would hold once `after` replaces it
    (`after=None`: the plage is deleted), by start."""
    zone = before.timezone
    now = now or clock.now()
    rdvs = await uow.busy.busy_rdvs_of(agent_ids=[before.agent_id], start=now,
                                       end=_end_of(before, zone))
    held = [r for r in rdvs if r.status == TO_COME and r.starts_at > now
            and r.organisation_id == before.organisation_id and _holds(before, r, zone)]
    if not held:
        return []
    others = await uow.agenda.plages_of_agents(organisation_id=before.organisation_id,
                                               agent_ids=[before.agent_id])
    remaining = [p for p in others if p.id != before.id]
    if after is not None and after.agent_id == before.agent_id:
        remaining.append(after)
    return [r for r in held if not any(_holds(p, r, zone) for p in remaining)]
