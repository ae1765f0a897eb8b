"""Why a start is not free (agents), and booking's synchronous check."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from services.availability.domain import jours_feries, verdict
from services.availability.domain.model import Lieu, Motif
from services.availability.domain.verdict import Reason
from services.availability.service_layer.creneaux import holiday_rules
from services.availability.service_layer.rules import instant_in_range, motif_of, unknown_lieu, unknown_motif
from services.availability.service_layer.unit_of_work import unit_of_work
from shared import clock
from shared.db import Database
from shared.identity import Identity
from shared.timeutil import local_day


@dataclass
class Explanation:
    free: bool
    reasons: list[Reason]
    starts_at: int
    ends_at: int


async def explain(*, db: Database, identity: Identity, agent_id: uuid.UUID, motif_id: uuid.UUID,
                  starts_at: datetime, now: datetime | None = None) -> Explanation:
    """Say whether a start is free for this agent and motif, and every reason why not."""
    identity.require_agent()
    instant_in_range("starts_at", starts_at)
    zone = identity.timezone
    async with unit_of_work(db) as uow:
        motif = await motif_of(uow, identity, motif_id)
        start = int(starts_at.timestamp())
        end = start + motif.duration_minutes * 60
        day = local_day(starts_at, zone)
        first, last = day - timedelta(days=1), day + timedelta(days=1)
        plages = await uow.agenda.plages_for_search(organisation_id=identity.organisation_id,
                                                    motif_id=motif_id, agent_ids=[agent_id], lieu_id=None,
                                                    first=first, last=last)
        absences = await uow.agenda.absences_for_agents(agent_ids=[agent_id], first=first, last=last)
        busy = await uow.busy.busy_rdvs_of(agent_ids=[agent_id], start=datetime.fromtimestamp(start, timezone.utc),
                                           end=datetime.fromtimestamp(end, timezone.utc))
    reasons = verdict.explain(organisation_id=identity.organisation_id, plages=plages, absences=absences,
                              busy=busy, holidays=jours_feries.between(first, last, *holiday_rules(identity)),
                              zone=zone, start=start, end=end, now=(now or clock.now()).timestamp())
    return Explanation(not reasons, reasons, start, end)


@dataclass
class CheckResult:
    ok: bool
    motif: Motif
    lieu: Lieu | None
    ends_at: int
    agent_ids: list[uuid.UUID] = field(default_factory=list)
    reason: Reason | None = None
    agent_id: uuid.UUID | None = None  # the agent who failed
    # With `all_reasons`: every refusal of every agent (agent, reason), holiday first for each agent.
    reasons: list[tuple[uuid.UUID, Reason]] = field(default_factory=list)


async def check(*, db: Database, identity: Identity, agent_ids: list[uuid.UUID], lieu_id: uuid.UUID | None,
                motif_id: uuid.UUID, starts_at: datetime, duration_minutes: int | None,
                public: bool = False, now: datetime | None = None, all_reasons: bool = False) -> CheckResult:
    """Is [start, end) inside an open plage of each agent, outside absences and holidays?

    `public`: the usager's page; apply `reservable_online` and the motif's delays, and pick
    a free agent (not busy in the projection) whose plage holds the slot. `all_reasons` (agents):
    also list every refusal of every agent, for an agent who overrides them (`allow_outside_opening`).
    """
    instant_in_range("starts_at", starts_at)
    day = local_day(starts_at, identity.timezone)
    first, last = day - timedelta(days=1), day + timedelta(days=1)
    # One autocommit statement reads everything (each statement of a read committed transaction
    # would take its own snapshot anyway); the busy projection only for the public page.
    async with unit_of_work(db, autocommit=True) as uow:
        motif, lieu, plages, absences = await uow.agenda.check_inputs(
            organisation_id=identity.organisation_id, motif_id=motif_id, lieu_id=lieu_id,
            agent_ids=None if public else agent_ids, plage_lieu_id=lieu_id if public else None,
            first=first, last=last)
        if motif is None:
            raise unknown_motif()
        if lieu_id is not None and lieu is None:
            raise unknown_lieu()
        start = int(starts_at.timestamp())
        end = start + (duration_minutes or motif.duration_minutes) * 60
        result = CheckResult(ok=False, motif=motif, lieu=lieu, ends_at=end)
        if public and (refusal := _public_refusal(motif, start, now or clock.now())):
            result.reason = refusal
            return result
        candidates = sorted({p.agent_id for p in plages}, key=str) if public else list(agent_ids)
        busy_agents: set[uuid.UUID] = set()
        if public and candidates:
            busy_agents = {a for a, _, _ in await uow.busy.busy_intervals(
                agent_ids=candidates, start=datetime.fromtimestamp(start, timezone.utc),
                end=datetime.fromtimestamp(end, timezone.utc))}
    failures, passed = _verdicts(result, identity, candidates, plages, absences, busy_agents, first, last,
                                 start, end, lieu_id, first_only=not (all_reasons and not public))
    if public:
        return _public_verdict(result, failures, passed)
    return _agents_verdict(result, failures, candidates, agent_ids)


def _verdicts(result: CheckResult, identity: Identity, candidates: list[uuid.UUID], plages, absences,
              busy_agents: set[uuid.UUID], first, last, start: int, end: int, lieu_id: uuid.UUID | None, *,
              first_only: bool) -> tuple[list[tuple[uuid.UUID, Reason]], list[uuid.UUID]]:
    """Each candidate's first refusal (every refusal goes to `result.reasons`), and the agents that passed."""
    holidays = jours_feries.between(first, last, *holiday_rules(identity))
    failures: list[tuple[uuid.UUID, Reason]] = []
    passed: list[uuid.UUID] = []
    for agent in candidates:
        found = verdict.refusals(plages=[p for p in plages if p.agent_id == agent],
                                 absences=[a for a in absences if a.agent_id == agent], holidays=holidays,
                                 zone=identity.timezone, start=start, end=end, lieu_id=lieu_id, first_only=first_only)
        if found:
            failures.append((agent, found[0]))
            result.reasons.extend((agent, r) for r in found)
        elif agent not in busy_agents:
            passed.append(agent)
    return failures, passed


def _public_verdict(result: CheckResult, failures: list[tuple[uuid.UUID, Reason]],
                    passed: list[uuid.UUID]) -> CheckResult:
    """The public page books the first free agent; closed for all on a holiday says so."""
    if passed:
        result.ok, result.agent_ids = True, passed[:1]
    elif failures and all(r.code == "holiday" for _, r in failures):
        result.reason = failures[0][1]
    else:
        result.reason = Reason("outside_opening", "Ce créneau n'est plus disponible.")
    return result


def _agents_verdict(result: CheckResult, failures: list[tuple[uuid.UUID, Reason]], candidates: list[uuid.UUID],
                    agent_ids: list[uuid.UUID]) -> CheckResult:
    """An agent's booking needs every one of its agents open."""
    if failures:
        result.agent_id, result.reason = failures[0]
    elif not candidates:
        result.reason = Reason("outside_opening", "Aucun agent n'est indiqué pour ce rendez-vous.")
    else:
        result.ok, result.agent_ids = True, list(agent_ids)
    return result


def _public_refusal(motif: Motif, start: int, now: datetime) -> Reason | None:
    if not motif.reservable_online:
        return Reason("outside_opening", "Ce motif ne se réserve pas en ligne.")
    if start < (now + timedelta(minutes=motif.min_booking_delay_minutes)).timestamp():
        return Reason("outside_opening", "Ce créneau est trop proche pour être réservé en ligne.",
                      {"min_booking_delay_minutes": motif.min_booking_delay_minutes})
    if start > (now + timedelta(days=motif.max_booking_delay_days)).timestamp():
        return Reason("outside_opening", "Ce créneau est trop lointain pour être réservé en ligne.",
                      {"max_booking_delay_days": motif.max_booking_delay_days})
    return None
