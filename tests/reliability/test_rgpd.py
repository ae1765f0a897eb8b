"""RGPD through the real system: RDVs booked in March 2027 (RDV_NOW), then `rdv retention run` two
years and a day later; and an usager anonymised by DELETE. Nothing of a purged RDV or of an
anonymised person may remain in any service: booking, reporting (stats, XLSX export, facts),
usagers (fiche, search), notifications (messages, reminders, dev inbox), availability (busy)."""
from __future__ import annotations

import io
import subprocess
import sys
import time
import uuid

import openpyxl
import psycopg

from tests.reliability.workload import FIRST_DAY, make_workbench, record, size
from tests.support.system import wait_until

AS_OF = "2029-03-03T12:00:00+01:00"  # cutoff: 2027-03-03 12:00, after the first day, before the third


def _db(system, service: str):
    return psycopg.connect(system.env[f"{service.upper()}_DATABASE_URL"].replace("postgresql+psycopg://",
                                                                                  "postgresql://"))


def _count(system, service: str, sql: str, *params) -> int:
    with _db(system, service) as conn:
        return conn.execute(sql, params).fetchone()[0]


def _export_text(bench) -> str:
    """Every cell of a fresh XLSX export of the organisation's RDVs, as one text."""
    with bench.org.admin() as c:
        resp = c.post("/api/v1/exports", json={"kind": "rdvs", "filters": {"from": "2027-03-01", "to": "2027-04-30"}})
        assert resp.status_code == 202, resp.text
        export_id = resp.json()["id"]
        wait_until(lambda: c.get(f"/api/v1/exports/{export_id}").json()["status"] == "done", timeout=60,
                   interval=0.3, message="export done")
        file = c.get(f"/api/v1/exports/{export_id}/file")
        assert file.status_code == 200, file.text
    rows = openpyxl.load_workbook(io.BytesIO(file.content), read_only=True).active.iter_rows(values_only=True)
    return "\n".join(" ".join(str(v) for v in row if v is not None) for row in rows)


def _usager(c, last_name: str, *, phone: str | None = None) -> dict:
    # with an Idempotency-Key: the gateway stores the answer (names, contacts) for its validity
    resp = c.post("/api/v1/usagers", headers={"Idempotency-Key": str(uuid.uuid4())}, json={"first_name": "Camille", "last_name": last_name, "birth_date": "1980-05-17",
                                           "email": f"{last_name.lower()}@example.fr", **({"phone": phone} if phone else {})})
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return body.get("usager", body)


def test_retention_and_anonymisation_reach_every_service(rel_system):
    started = time.time()
    bench = make_workbench(rel_system, agents=2, usagers=0)
    tag = uuid.uuid4().hex[:6].capitalize()
    with bench.org.admin() as c:
        old = _usager(c, f"Ancien{tag}", phone="0612345678")      # only RDVs of the first day: purged, then anonymised
        kept = _usager(c, f"Fidele{tag}")                          # RDVs after the cutoff: kept
        idle = _usager(c, f"Inactif{tag}")                         # no RDV, created in 2027: anonymised
        erased = _usager(c, f"Efface{tag}", phone="0698765432")    # kept RDVs, but DELETE (RGPD request)
    per_group = size(6, 60)
    per_day = 2 * (20 - 8) * 60 // 10  # slots of the 2 agents on one day
    day_one = bench.slots(per_group)                                     # 2027-03-02 (ends before the cutoff)
    later = bench.slots(2 * per_group, offset=2 * per_day)               # 2027-03-04
    assert day_one[-1][1].startswith(FIRST_DAY.isoformat()) and later[0][1].startswith("2027-03-04")
    with bench.org.admin() as c:
        old_ids = [bench.book(c, a, s, old)[1]["id"] for a, s in day_one]
        kept_ids = [bench.book(c, a, s, kept)[1]["id"] for a, s in later[:per_group]]
        for a, s in later[per_group:]:
            bench.book(c, a, s, erased)
    bench.usagers = [old, kept, erased]
    total = 3 * per_group
    bench.converge(total, timeout=120)
    with bench.org.admin() as c:  # the last RDV's reminder and confirmations are queued
        wait_until(lambda: c.get(f"/api/v1/rdvs/{old_ids[-1]}/notifications").json(), timeout=30,
                   message="notifications of an old RDV")
    before = _export_text(bench)
    assert old["last_name"] in before and erased["last_name"] in before  # the export does show names
    assert _count(rel_system, "notifications", "select count(*) from messages where rdv_id = any(%s::uuid[])",
                  old_ids) >= per_group
    assert _count(rel_system, "availability", "select count(*) from busy_rdvs where id = any(%s::uuid[])",
                  old_ids) == per_group

    # an RGPD request: DELETE anonymises at once, whatever the RDVs
    with bench.org.admin() as c:
        resp = c.delete(f"/api/v1/usagers/{erased['id']}")
        assert resp.status_code == 200 and resp.json()["anonymized"], resp.text

    def gateway_holds(person) -> int:
        return _count(rel_system, "gateway", "select count(*) from idempotency_keys "
                      "where convert_from(response_body, 'UTF8') like %s", f"%{person['last_name']}%")

    assert gateway_holds(erased) == 1

    # two years and a day after the first day: the retention job
    retention_at = time.time()
    run = subprocess.run([sys.executable, "-m", "rdv.cli", "retention", "run", "--as-of", AS_OF],
                         env=rel_system.env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert f"rdvs_purged: {per_group}" in run.stdout, run.stdout
    anonymised = int(run.stdout.split("usagers_anonymized: ")[1].split()[0])
    assert anonymised >= 2, run.stdout  # old and idle (plus other organisations' leftovers, if any)
    again = subprocess.run([sys.executable, "-m", "rdv.cli", "retention", "run", "--as-of", AS_OF],
                           env=rel_system.env, capture_output=True, text=True, timeout=60)
    assert "rdvs_purged: 0" in again.stdout and "usagers_anonymized: 0" in again.stdout, again.stdout

    assert all(gateway_holds(p) == 0 for p in (old, kept, idle, erased))  # past their 24 h validity

    # booking: the purged RDVs are gone, the others stay
    with bench.org.admin() as c:
        assert all(c.get(f"/api/v1/rdvs/{i}").status_code == 404 for i in old_ids[:3])
        assert c.get(f"/api/v1/rdvs/{kept_ids[0]}").status_code == 200
    assert bench.booking_total() == 2 * per_group
    # every consumer drops what it held of the purged RDVs
    wait_until(lambda: bench.reporting_total() == 2 * per_group, timeout=60, interval=0.3,
               message="reporting stats without the purged RDVs")
    wait_until(lambda: _count(rel_system, "availability", "select count(*) from busy_rdvs where id = any(%s::uuid[])",
                              old_ids) == 0, timeout=60, interval=0.3, message="availability busy projection")
    wait_until(lambda: _count(rel_system, "notifications",
                              "select (select count(*) from messages where rdv_id = any(%s::uuid[])) + "
                              "(select count(*) from reminders where rdv_id = any(%s::uuid[])) + "
                              "(select count(*) from dev_messages where rdv_id = any(%s::uuid[]))",
                              old_ids, old_ids, old_ids) == 0, timeout=60, interval=0.3,
               message="notifications of the purged RDVs")
    wait_until(lambda: _count(rel_system, "reporting", "select count(*) from rdv_facts where id = any(%s::uuid[])",
                              old_ids) == 0, timeout=60, interval=0.3, message="reporting facts")
    propagated_s = round(time.time() - retention_at, 1)

    with bench.org.admin() as c:
        fiche_old = c.get(f"/api/v1/usagers/{old['id']}").json()
        fiche_kept = c.get(f"/api/v1/usagers/{kept['id']}").json()
        fiche_idle = c.get(f"/api/v1/usagers/{idle['id']}").json()
        wait_until(lambda: c.get(f"/api/v1/usagers/{old['id']}").json()["stats"]["total"] == 0, timeout=30,
                   message="the old usager's fiche without the purged RDVs")
        assert fiche_old["usager"]["anonymized"] and fiche_idle["usager"]["anonymized"]
        assert not fiche_kept["usager"]["anonymized"] and fiche_kept["stats"]["total"] == per_group
        # usagers search: the anonymised are nowhere, the kept one is found
        for person in (old, idle, erased):
            found = c.get("/api/v1/usagers", params={"q": person["last_name"], "scope": "organisation"}).json()
            assert found["total"] == 0, (person["last_name"], found)
        assert c.get("/api/v1/usagers", params={"q": kept["last_name"], "scope": "organisation"}).json()["total"] == 1

    # notifications: no address, name or content of an anonymised person anywhere in its database
    def notifications_hold(person) -> int:
        like = f"%{person['last_name']}%"
        return _count(rel_system, "notifications",
                      "select (select count(*) from messages where recipient in (%s, %s) or body ilike %s "
                      "  or coalesce(subject, '') ilike %s or coalesce(html, '') ilike %s) + "
                      "(select count(*) from dev_messages where \"to\" in (%s, %s) or body ilike %s) + "
                      "(select count(*) from usagers where last_name ilike %s or email = %s or phone = %s)",
                      person["email"], person.get("phone") or "-", like, like, like,
                      person["email"], person.get("phone") or "-", like, like, person["email"],
                      person.get("phone") or "-")

    for person in (old, idle, erased):
        wait_until(lambda: notifications_hold(person) == 0, timeout=60, interval=0.3,
                   message=f"notifications without {person['last_name']}")
    assert notifications_hold(kept) > 0  # the control: a kept usager's messages are still there
    # reporting: neither names nor birth dates; the export shows the kept usager only
    for person in (old, idle, erased):
        wait_until(lambda: _count(rel_system, "reporting", "select count(*) from usagers where id = %s "
                                  "and (first_name is not null or last_name is not null or birth_date is not null)",
                                  person["id"]) == 0, timeout=60, interval=0.3, message="reporting usagers")
    after = _export_text(bench)
    assert kept["last_name"] in after
    assert all(p["last_name"] not in after for p in (old, idle, erased))
    # usagers: the rows keep their ids only
    assert _count(rel_system, "usagers", "select count(*) from usagers where id = any(%s::uuid[]) and "
                  "(first_name <> '' or last_name <> '' or email is not null or phone is not null "
                  "or birth_date is not null)", [old["id"], idle["id"], erased["id"]]) == 0

    record("rgpd", rdvs_booked=total, rdvs_purged=per_group, usagers_anonymized_by_retention=anonymised,
           usagers_anonymized_by_request=1, propagated_s=propagated_s, total_s=round(time.time() - started, 1))
