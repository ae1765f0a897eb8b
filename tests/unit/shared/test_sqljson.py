"""Rows sent as one JSON parameter (shared.sqljson) read back by an independent parser as PostgreSQL would."""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from shared.sqljson import json_rows


class _Id(uuid.UUID):
    pass


def test_ids_instants_and_text_are_written_as_postgresql_reads_them():
    rdv, agent = uuid.uuid4(), _Id(int=7)
    paris = datetime(2026, 3, 29, 3, 30, 0, 125000, tzinfo=ZoneInfo("Europe/Paris"))  # the first CEST hour
    rows = [{"id": rdv, "agent_ids": [agent, rdv], "starts_at": paris, "at": paris.astimezone(timezone.utc),
             "day": date(2026, 10, 25), "nom": "Élodie \"Zoé\"\n", "n": None, 3: True}]
    back = json.loads(json_rows(rows))
    assert back == [{"id": str(rdv), "agent_ids": [str(agent), str(rdv)], "starts_at": "2026-03-29T03:30:00.125000+02:00",
                     "at": "2026-03-29T01:30:00.125000+00:00", "day": "2026-10-25", "nom": "Élodie \"Zoé\"\n",
                     "n": None, "3": True}]
    assert datetime.fromisoformat(back[0]["starts_at"]) == paris


def test_keys_pick_the_columns_and_a_generator_is_taken_whole():
    rows = ({"id": uuid.UUID(int=n), "secret": "x"} for n in range(3))
    assert json.loads(json_rows(rows, keys=["id"])) == [{"id": str(uuid.UUID(int=n))} for n in range(3)]


def test_a_value_postgresql_cannot_read_is_refused():
    with pytest.raises(TypeError):
        json_rows([{"d": timedelta(minutes=5)}])
