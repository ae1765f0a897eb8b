"""The example consumer for outside teams (examples/rdv_events_consumer.py), run as they would run it, as the
read-only user `reader`, receives a booking made through the gateway: pseudonymised, nothing personal."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

from tests.reliability.workload import make_workbench

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "rdv_events_consumer.py"


def run_example(nats_url: str, password: str, *, durable: str, until: str, timeout: float = 90) -> list[dict]:
    """Run the example until it has printed `until` (an RDV id) or stayed idle; its JSON lines."""
    proc = subprocess.Popen([sys.executable, str(EXAMPLE), "--url", nats_url, "--durable", durable, "--idle", "20"],
                            env={"PATH": "/usr/bin:/bin", "RDV_EVENTS_PASSWORD": password},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    events = []
    try:
        for line in proc.stdout:
            events.append(json.loads(line))
            if until in line:
                break
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=timeout)
    assert events, f"the example printed nothing: {err[-2000:]}"
    assert any(until in json.dumps(e) for e in events), f"{until} not received: {err[-2000:]}"
    return events


def check_received(events: list[dict], rdv_id: str, usager: dict) -> None:
    mine = [e for e in events if e["data"].get("rdv", {}).get("id") == rdv_id]
    assert [e["subject"] for e in mine] == ["reporting.rdv.created"], events[-3:]
    text = json.dumps(mine)
    for personal in (usager["id"], usager["email"], usager["first_name"]):
        assert personal not in text
    assert len(mine[0]["data"]["rdv"]["usager_pseudonyms"]) == 1


def test_the_example_consumer_receives_a_booking_pseudonymised(system):
    bench = make_workbench(system, agents=1, usagers=1)
    with bench.org.admin() as c:
        status, rdv = bench.book(c, *bench.slots(1)[0], bench.usagers[0])
    assert status == 201
    password = json.loads(Path(system.infra.nats_users_file).read_text())["reader"]
    events = run_example(system.infra.nats_plain_url, password, durable=f"e2e-{uuid.uuid4().hex[:8]}",
                         until=rdv["id"])
    check_received(events, rdv["id"], bench.usagers[0])
