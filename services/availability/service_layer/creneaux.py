"""Use cases of 'Trouver un RDV': créneaux for agents and for the public page, and why not.

A search asks the database once per input kind for all agents concerned (plages,
absences, busy RDVs), then computes in memory (domain.creneaux).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from dateutil.relativedelta import relativedelta

from services.availability.domain import creneaux as domain
from services.availability.domain import jours_feries
from services.availability.domain.creneaux import Creneau, Inputs
from services.availability.domain.model import Motif
from services.availability.domain.occurrences import day_start
from services.availability.service_layer.rules import lieu_of, motif_of, unknown_motif, window
from services.availability.service_layer.unit_of_work import AvailabilityUnitOfWork, unit_of_work
from shared import clock
from shared.db import Database
from shared.identity import Identity
from shared.timeutil import local_day

NEXT_AVAILABLE_MONTHS = 6


@dataclass
class Result:
    items: list[Creneau]
    next_available: int | None  # epoch seconds
    motif: Motif
    zone: str


def holiday_zone(identity: Identity) -> str:
    return identity.holiday_zone if jours_feries.is_zone(identity.holiday_zone) else "metropole"


def holiday_rules(identity: Identity) -> tuple[str, str]:
    """The organisation's holiday zone and observances (statutory days only, or also local ones)."""
    return holiday_zone(identity), identity.holiday_observances


async def load_inputs(*, uow: AvailabilityUnitOfWork, identity: Identity, motif_id: uuid.UUID,
                      agent_ids: list[uuid.UUID] | None, lieu_id: uuid.UUID | None,
                      first: date, last: date) -> Inputs:
    """One round of queries for every agent concerned: plages, then their absences and busy RDVs."""
    zone = identity.timezone
    plages = await uow.agenda.plages_for_search(organisation_id=identity.organisation_id,
                                                motif_id=motif_id, agent_ids=agent_ids, lieu_id=lieu_id,
                                                first=first, last=last)
    agents = list({p.agent_id for p in plages})
    absences, busy = [], []
    if agents:
        absences = await uow.agenda.absences_for_agents(agent_ids=agents, first=first, last=last)
        busy = await uow.busy.busy_intervals(
            agent_ids=agents,
            start=datetime.fromtimestamp(day_start(first, zone), timezone.utc),
            end=datetime.fromtimestamp(day_start(last + timedelta(days=1), zone), timezone.utc))
    return Inputs(plages=plages, absences=absences, busy=busy, zone=zone,
                  holidays=jours_feries.between(first, last, *holiday_rules(identity)))


async def search(*, db: Database, identity: Identity, motif_id: uuid.UUID, first: date, last: date,
                 lieu_id: uuid.UUID | None = None, agent_ids: list[uuid.UUID] | None = None,
                 now: datetime | None = None) -> Result:
    """Créneaux of a motif for these agents (None = every agent of the organisation), sorted."""
    window(first, last)
    now_s = (now or clock.now()).timestamp()
    async with unit_of_work(db, autocommit=True) as uow:  # a search only reads
        motif = await motif_of(uow, identity, motif_id)
        if lieu_id is not None:
            await lieu_of(uow, identity, lieu_id)
        inputs = await load_inputs(uow=uow, identity=identity, motif_id=motif_id,
                                   agent_ids=agent_ids, lieu_id=lieu_id, first=first, last=last)
        items = domain.search(inputs, first, last, duration_minutes=motif.duration_minutes, now=now_s)
        following = None
        if not items:
            following = await _next_available(uow, identity, motif, agent_ids, lieu_id,
                                              last + timedelta(days=1),
                                              last + relativedelta(months=NEXT_AVAILABLE_MONTHS), now_s)
    return Result(items, following.starts_at if following else None, motif, identity.timezone)


async def _next_available(uow: AvailabilityUnitOfWork, identity, motif, agent_ids, lieu_id, first: date, last: date,
                          now_s: float, keep=None) -> Creneau | None:
    if last < first:
        return None
    inputs = await load_inputs(uow=uow, identity=identity, motif_id=motif.id, agent_ids=agent_ids,
                               lieu_id=lieu_id, first=first, last=last)
    if keep is None:
        return domain.first_available(inputs, first, last, duration_minutes=motif.duration_minutes, now=now_s)
    day = first
    while day <= last:  # the public page: also bounded by the motif's maximum delay
        chunk_last = min(last, day + timedelta(days=13))
        found = [c for c in domain.search(inputs, day, chunk_last, duration_minutes=motif.duration_minutes,
                                          now=now_s) if keep(c)]
        if found:
            return found[0]
        day = chunk_last + timedelta(days=1)
    return None


async def search_public(*, db: Database, identity: Identity, motif_id: uuid.UUID, first: date, last: date,
                        lieu_id: uuid.UUID | None = None, now: datetime | None = None) -> Result:
    """Créneaux of a reservable-online motif within its booking delays, one per start and lieu."""
    window(first, last)
    now_dt = now or clock.now()
    async with unit_of_work(db, autocommit=True) as uow:  # a search only reads
        motif = await motif_of(uow, identity, motif_id)
        if not motif.reservable_online:
            raise unknown_motif()
        if lieu_id is not None:
            await lieu_of(uow, identity, lieu_id)
        # The delays filter the agents' slot starts; they never move where slots are cut (contract), so
        # the public page offers a subset of the agents' grid.
        within = domain.within_booking_delays(now_dt.timestamp(), min_minutes=motif.min_booking_delay_minutes,
                                              max_days=motif.max_booking_delay_days)
        latest = (now_dt + timedelta(days=motif.max_booking_delay_days)).timestamp()
        last_day = min(last, local_day(datetime.fromtimestamp(latest, timezone.utc), identity.timezone))
        items: list[Creneau] = []
        if first <= last_day:
            inputs = await load_inputs(uow=uow, identity=identity, motif_id=motif_id,
                                       agent_ids=None, lieu_id=lieu_id, first=first, last=last_day)
            items = one_per_start_and_lieu(
                [c for c in domain.search(inputs, first, last_day, duration_minutes=motif.duration_minutes,
                                          now=now_dt.timestamp()) if within(c)])
        following = None
        if not items:
            horizon = min(last + relativedelta(months=NEXT_AVAILABLE_MONTHS),
                          local_day(datetime.fromtimestamp(latest, timezone.utc), identity.timezone))
            following = await _next_available(uow, identity, motif, None, lieu_id,
                                              last + timedelta(days=1), horizon, now_dt.timestamp(), keep=within)
    return Result(items, following.starts_at if following else None, motif, identity.timezone)


def one_per_start_and_lieu(items: list[Creneau]) -> list[Creneau]:
    seen: set[tuple[int, uuid.UUID]] = set()
    out = []
    for c in items:
        key = (c.starts_at, c.lieu_id)
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
