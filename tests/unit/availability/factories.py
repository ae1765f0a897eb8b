"""Domain objects for unit tests."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time

from services.availability.domain import recurrence as rec
from services.availability.domain.model import Absence, Plage

ORG = uuid.UUID(int=1)
PARIS = "Europe/Paris"


def hm(text: str) -> time:
    return time.fromisoformat(text)


def plage(agent=None, *, first_day: date, start="09:00", end="12:00", recurrence=None, lieu=None,
          zone=PARIS, title="Permanence") -> Plage:
    return Plage(id=uuid.uuid4(), organisation_id=ORG, agent_id=agent or uuid.uuid4(), lieu_id=lieu or uuid.UUID(int=7),
                 motif_ids=[uuid.UUID(int=9)], title=title, first_day=first_day, start_time=hm(start),
                 end_time=hm(end), recurrence=rec.parse(recurrence), timezone=zone)


def absence(agent, *, first_day: date, start="00:00", end_day=None, end="23:59", recurrence=None,
            title="Congé", zone=PARIS, org=ORG) -> Absence:
    return Absence(id=uuid.uuid4(), organisation_id=org, agent_id=agent, title=title, first_day=first_day,
                   start_time=hm(start), end_day=end_day or first_day, end_time=hm(end),
                   recurrence=rec.parse(recurrence), timezone=zone)


def weekly(*days, interval=1, until=None) -> dict:
    return {"every": "week", "interval": interval, "on": list(days), "until": until}


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())
