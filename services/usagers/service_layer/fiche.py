"""The fiche of an usager: the person, the relatives, the RDV history and its stats."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from services.usagers.domain.fiche import RdvLine, display_status, is_upcoming, stats
from services.usagers.domain.usager import Usager
from services.usagers.service_layer.unit_of_work import UsagersUnitOfWork
from shared import clock
from shared.errors import NotFound
from shared.identity import Identity
from shared.timeutil import local_day, today


@dataclass
class Fiche:
    usager: Usager
    responsible: Usager | None
    relatives: list[Usager]
    rdvs_upcoming: list[dict[str, Any]] = field(default_factory=list)
    rdvs_past: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)


async def get_fiche(*, uow: UsagersUnitOfWork, identity: Identity, usager_id: uuid.UUID) -> Fiche:
    """Return the fiche; a basic agent sees the RDVs of their services and those they take part in."""
    async with uow:
        usagers = uow.usagers
        usager = await usagers.get(organisation_id=identity.organisation_id, usager_id=usager_id)
        if usager is None:
            raise NotFound("Usager introuvable.")
        responsible = None
        if usager.responsible_id:
            responsible = await usagers.get(organisation_id=identity.organisation_id,
                                            usager_id=usager.responsible_id)
        relatives = await usagers.relatives(organisation_id=identity.organisation_id, usager_id=usager.id)
        rows = await uow.projections.history(
            organisation_id=identity.organisation_id, usager_id=usager.id,
            service_ids=None if identity.is_admin else list(identity.service_ids), agent_id=identity.agent_id)
    zone = identity.timezone
    day, now = today(zone), clock.now()
    fiche = Fiche(usager=usager, responsible=responsible, relatives=relatives)
    lines = []
    for row in rows:
        m = row._mapping
        shown = display_status(m["status"], rdv_day=local_day(m["starts_at"], zone), today=day)
        lines.append(RdvLine(starts_at=m["starts_at"], status=m["status"], display_status=shown))
        rdv = {**dict(m), "display_status": shown}
        (fiche.rdvs_upcoming if is_upcoming(m["starts_at"], now) else fiche.rdvs_past).append(rdv)
    fiche.rdvs_past.reverse()  # most recent first
    fiche.stats = stats(lines)
    return fiche
