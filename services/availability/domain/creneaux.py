"""Créneaux: free slots of a motif, computed from plages, absences, holidays and busy RDVs.

Rules (contract): a plage occurrence, minus the agent's absences, minus holidays of the
zone (whole day), minus the agent's active RDVs, leaves free intervals; each is cut from
its start into consecutive slots of the motif's duration, the remainder dropped; slots
that start before now are dropped, and a free interval that began before now is cut
from now rounded up to the next 5 minutes. Overlapping plages of one agent never give
overlapping slots: the later-starting opening only gets what earlier ones left.
"""
from __future__ import annotations

import uuid
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from operator import attrgetter, itemgetter
from typing import Hashable, Iterable, NamedTuple, Sequence

from services.availability.domain.intervals import Interval, cut, merge
from services.availability.domain.model import Absence, Plage
from services.availability.domain.occurrences import absence_occurrences, day_start, intervals


_AGENT_ORDER = attrgetter("int")
_new = tuple.__new__  # builds a NamedTuple without its Python-level constructor (thousands per search)
_START = itemgetter(0)


class Creneau(NamedTuple):
    starts_at: int  # epoch seconds
    ends_at: int
    agent_id: uuid.UUID
    lieu_id: uuid.UUID


@dataclass
class Inputs:
    """Everything a search needs, fetched in one round of queries for all agents concerned."""

    plages: list[Plage]  # of the agents, offering the motif (at the lieu, if filtered)
    absences: list[Absence]  # of the same agents, every organisation
    busy: list[tuple[uuid.UUID, int, int]]  # (agent_id, start, end) of active RDVs
    holidays: dict[date, str]  # of the organisation's zone, over the whole span fetched
    zone: str  # the organisation's timezone


def within_booking_delays(now: float, *, min_minutes: int, max_days: int):
    """Whether a créneau starts within a motif's booking delays (`now + min <= start <= now + max`): the public
    page filters the agents' grid with it; delays never move where slots are cut."""
    earliest, latest = now + min_minutes * 60, now + max_days * 86400
    return lambda c: earliest <= c.starts_at <= latest


def cut_openings(openings: Sequence[tuple[int, int, Hashable]], blocked: Sequence[Interval],
                 step: int, now: float) -> list[tuple[int, Hashable]]:
    """Slots `(start, key)` of one agent's openings `(start, end, key)`.

    `blocked` is merged and sorted. Openings are taken by start; one that overlaps an
    earlier one treats the slots already given as blocked.
    """
    ends = [b[1] for b in blocked]
    slots: list[tuple[int, Hashable]] = []
    reach = None
    for start, end, key in sorted(openings):  # keys compare only on equal (start, end)
        if reach is not None and start < reach:
            local_blocked = merge([b for b in blocked if b[0] < end and b[1] > start]
                                  + [(s, s + step) for s, _ in slots if s < end and s + step > start])
            frees = _subtract(start, end, local_blocked, 0)
        else:
            frees = _subtract(start, end, blocked, bisect_right(ends, start))
        for free in frees:
            for s in cut(free, step, now):
                slots.append((s, key))
        reach = end if reach is None else max(reach, end)
    return slots


def _subtract(start: int, end: int, blocked: Sequence[Interval], i: int) -> list[Interval]:
    free: list[Interval] = []
    cursor = start
    n = len(blocked)
    while i < n:
        b_start, b_end = blocked[i]
        if b_start >= end:
            break
        if b_end > cursor:
            if b_start > cursor:
                free.append((cursor, b_start))
            cursor = b_end
            if cursor >= end:
                return free
        i += 1
    if cursor < end:
        free.append((cursor, end))
    return free


def holiday_intervals(holidays: Iterable[date], zone: str) -> list[Interval]:
    return [(day_start(d, zone), day_start(d + timedelta(days=1), zone)) for d in holidays]


def blocked_by_agent(inputs: Inputs, first: date, last: date) -> dict[uuid.UUID, list[Interval]]:
    """Per agent: absences, holidays and busy RDVs, merged (holidays for every agent)."""
    per_agent: dict[uuid.UUID, list[Interval]] = defaultdict(list)
    for absence in inputs.absences:
        if absence.recurrence is not None:  # within one day: the same cached expansion as plages
            per_agent[absence.agent_id].extend(intervals(absence.first_day, absence.recurrence, absence.start_time,
                                                         absence.end_time, absence.timezone, first, last))
        else:
            per_agent[absence.agent_id].extend((o.start, o.end) for o in absence_occurrences(absence, first, last))
    for agent_id, start, end in inputs.busy:
        per_agent[agent_id].append((start, end))
    closed = holiday_intervals([d for d in inputs.holidays if first <= d <= last], inputs.zone)
    agents = {p.agent_id for p in inputs.plages}
    return {agent: merge(per_agent.get(agent, []) + closed) for agent in agents}


def search(inputs: Inputs, first: date, last: date, *, duration_minutes: int, now: float) -> list[Creneau]:
    """Créneaux on the local days first..last, sorted by start then agent."""
    step = duration_minutes * 60
    openings: dict[uuid.UUID, list[tuple[int, int, uuid.UUID]]] = defaultdict(list)
    for plage in inputs.plages:
        lieu_id, agent_openings = plage.lieu_id, openings[plage.agent_id]
        for start, end in intervals(plage.first_day, plage.recurrence, plage.start_time, plage.end_time,
                                    plage.timezone, first, last):
            if end > now:
                agent_openings.append((start, end, lieu_id))
    if not openings:
        return []
    blocked = blocked_by_agent(inputs, first, last)
    # Sorted by start then agent: agents are taken in order (a UUID's integer orders like its
    # text form), then a stable sort on the start alone keeps that order (C comparisons only).
    out: list[Creneau] = []
    for agent_id in sorted(openings, key=_AGENT_ORDER):
        for start, lieu_id in cut_openings(openings[agent_id], blocked.get(agent_id, []), step, now):
            out.append(_new(Creneau, (start, start + step, agent_id, lieu_id)))
    out.sort(key=_START)
    return out


def first_available(inputs: Inputs, first: date, last: date, *, duration_minutes: int, now: float,
                    chunk_days: int = 14) -> Creneau | None:
    """The first créneau on the days first..last, searching chunk by chunk (stops early)."""
    day = first
    while day <= last:
        chunk_last = min(last, day + timedelta(days=chunk_days - 1))
        found = search(inputs, day, chunk_last, duration_minutes=duration_minutes, now=now)
        if found:
            return found[0]
        day = chunk_last + timedelta(days=1)
    return None
