"""Write the reliability figures (test-artifacts/reliability.json) into README.md's table."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.reliability.workload import FIGURES

README = Path(__file__).resolve().parents[2] / "README.md"
START, END = "<!-- reliability:start -->", "<!-- reliability:end -->"
TITLES = {
    "nats_killed_twice": "Bookings while NATS is SIGKILLed twice",
    "each_service_sigkilled": "Each service SIGKILLed once under load",
    "forced_redelivery": "Forced redelivery (random naks)",
    "contended_attempts": "Contended booking attempts",
    "schemathesis": "schemathesis on /openapi.json",
    "outbox_drain": "Outbox drain after a NATS outage",
    "security_headers": "Security headers on every page",
    "csrf_and_session": "CSRF and session renewal",
    "rgpd": "RGPD retention and anonymisation",
    "embedded_servers_sigkilled": "`rdv up`: embedded NATS, then PostgreSQL SIGKILLed, healed by the supervisor",
    "nats_cluster_nodes_killed": "3-node NATS cluster: two nodes SIGKILLed one after the other",
    "nats_cluster_two_nodes_lost": "3-node NATS cluster: two nodes SIGKILLed at once (no quorum)",
}


def table(data: dict) -> str:
    lines = ["| check | mode | figures |", "|---|---|---|"]
    for key, values in data.items():
        values = dict(values)
        mode = values.pop("mode", "")
        figures = ", ".join(f"{k} = {v}" for k, v in values.items())
        lines.append(f"| {TITLES.get(key, key)} | {mode} | {figures} |")
    return "\n".join(lines)


def main() -> int:
    if not FIGURES.exists():
        print("no figures: run the reliability suite first", file=sys.stderr)
        return 1
    text = README.read_text()
    block = f"{START}\n{table(json.loads(FIGURES.read_text()))}\n{END}"
    if START in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Reliability figures\n\n" + block + "\n"
    README.write_text(text)
    print(table(json.loads(FIGURES.read_text())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
