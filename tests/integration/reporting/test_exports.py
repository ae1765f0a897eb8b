"""XLSX exports read back with openpyxl: columns, order, French labels, timezone (DST), visibility,
owner-only download, expiry."""
from __future__ import annotations

import io
import json
import re
import time
import uuid
from datetime import date, datetime, time as clock_time
from pathlib import Path

import openpyxl
import psycopg

from shared.timeutil import today
from tests.integration.reporting.conftest import World, publish, wait_total
from tests.support.system import wait_until

COLUMNS = ["année", "date prise rdv", "heure prise rdv", "origine", "date rdv", "heure rdv", "service", "motif",
           "contexte", "statut", "lieu", "professionnel.le(s)", "usager(s)", "au moins un usager mineur ?",
           "résultat des notifications", "organisation", "date naissance", "créé par"]


async def _world(js) -> World:
    w = World(js)
    await w.organisation()
    await w.service("pmi", "PMI")
    await w.service("rsa", "RSA")
    await w.agent("alice", "Alice", "Martin", ("pmi",))
    await w.agent("bruno", "Bruno", "Durand", ("rsa",))
    await w.motif("consult", "Consultation nourrisson", "pmi")
    await w.motif("tel", "Entretien RSA", "rsa", "phone")
    await w.lieu("mds", "MDS Centre")
    await w.usager("enfant", "Léa", "Bernard", "2015-06-01")
    await w.usager("adulte", "Marc", "Roux", "1980-01-31")
    await w.usager("secret", "Zoé", "Secret", "1990-05-05")
    return w


async def _rdvs(w: World):
    # 2027-03-28 is the spring-forward Sunday in Paris (UTC+1 -> UTC+2): 10:00 there is 08:00 UTC
    await w.rdv("dst", motif="consult", service="pmi", agents=["alice"], usagers=["enfant", "adulte"], lieu="mds",
                starts_at="2027-03-28T08:00:00+00:00", created_at="2027-03-27T22:30:00+00:00",
                created_by="alice", context="Premier rendez-vous")
    # winter time: 09:00 UTC is 10:00 in Paris
    await w.rdv("hiver", motif="tel", service="rsa", agents=["bruno"], usagers=["adulte"],
                starts_at="2027-03-26T09:00:00+00:00", created_at="2027-03-01T07:05:59.700+00:00", origin="usager")
    await w.rdv("annule", motif="tel", service="rsa", agents=["bruno"], usagers=["secret"],
                starts_at="2027-04-02T12:00:00+00:00", created_by="bruno")
    await w.status("annule", "revoked", version=2, motif="tel", service="rsa", agents=["bruno"], usagers=["secret"],
                   starts_at="2027-04-02T12:00:00+00:00", created_by="bruno")
    rdv = str(w.rdvs["dst"])
    for status, channel in (("sent", "sms"), ("failed", "email")):
        await publish(w.js, f"notifications.message.{status}", w.id, {"message": {
            "id": str(uuid.uuid4()), "rdv_id": rdv, "usager_id": str(w.usagers["adulte"]), "agent_id": None,
            "channel": channel, "kind": "confirmation", "recipient_masked": "06****12", "attempt": 1}})
    await publish(w.js, "usagers.usager.anonymized", w.id, {"usager_id": str(w.usagers["secret"])})


def _export(svc, identity, filters: dict | None = None) -> dict:
    with svc.client(identity) as c:
        resp = c.post("/v1/exports", json={"kind": "rdvs", "filters": filters or {}})
        assert resp.status_code == 202, resp.text
        assert resp.json()["status"] == "pending"
        export_id = resp.json()["id"]

        def done():
            got = c.get(f"/v1/exports/{export_id}").json()
            return got if got["status"] in ("done", "failed") else None

        return wait_until(done, timeout=20, message="export terminé")


def _download(svc, identity, export: dict):
    with svc.client(identity) as c:
        resp = c.get(f"/v1/exports/{export['id']}/file")
    assert resp.status_code == 200, resp.text
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True).active
    return resp, [[_day_or_time(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]


def _day_or_time(value):
    """openpyxl reads a date cell as a datetime at midnight: the day it shows."""
    if isinstance(value, datetime):
        assert value.time() == clock_time(0), value
        return value.date()
    return value


def _wait_facts(svc, w: World, total: int):
    wait_total(svc, w.identity(), total)
    # the later events (status, notifications, anonymisation) are consumed too
    def settled():
        with psycopg.connect(svc.database_url.replace("+psycopg", "")) as conn:
            notes = conn.execute("select count(*) from rdv_notifications where rdv_id = %s",
                                 (w.rdvs["dst"],)).fetchone()[0]
            anon = conn.execute("select anonymized from usagers where id = %s", (w.usagers["secret"],)).fetchone()
            status = conn.execute("select status from rdv_facts where id = %s", (w.rdvs["annule"],)).fetchone()
        return notes == 2 and anon and anon[0] and status and status[0] == "revoked"
    wait_until(settled, timeout=20, message="événements appliqués")


async def test_export_columns_labels_and_local_times(reporting, js):
    w = await _world(js)
    await _rdvs(w)
    _wait_facts(reporting, w, 3)
    admin = w.identity()
    export = _export(reporting, admin)
    assert export["status"] == "done" and export["progress"] == 100 and export["rows"] == 3
    assert re.fullmatch(rf"export-rdv-{today('Europe/Paris').isoformat()}-maison-des-solidarites-[0-9a-f]{{6}}\.xlsx",
                        export["filename"]), export["filename"]
    resp, rows = _download(reporting, admin, export)
    assert export["filename"] in resp.headers["content-disposition"]
    assert rows[0] == COLUMNS
    by_date = {row[4]: dict(zip(COLUMNS, row)) for row in rows[1:]}
    # by date of the RDV: real date cells
    assert [row[4] for row in rows[1:]] == [date(2027, 3, 26), date(2027, 3, 28), date(2027, 4, 2)]

    dst = by_date[date(2027, 3, 28)]
    assert dst["année"] == 2027
    # 22:30 UTC, winter; then 08:00 UTC, summer time
    assert (dst["date prise rdv"], dst["heure prise rdv"]) == (date(2027, 3, 27), clock_time(23, 30))
    assert (dst["date rdv"], dst["heure rdv"]) == (date(2027, 3, 28), clock_time(10, 0))
    assert dst["origine"] == "Créé par un agent"
    assert (dst["service"], dst["motif"], dst["lieu"]) == ("PMI", "Consultation nourrisson", "MDS Centre")
    assert dst["contexte"] == "Premier rendez-vous"
    assert dst["statut"] == "À venir"
    assert dst["professionnel.le(s)"] == "Alice Martin"
    assert dst["usager(s)"] == "Léa Bernard, Marc Roux"
    assert dst["au moins un usager mineur ?"] == "oui"
    assert dst["résultat des notifications"] == "1 envoyée, 1 en échec"
    assert dst["organisation"] == w.name
    assert dst["date naissance"] == date(2015, 6, 1)  # the first usager's: one date per cell
    assert dst["créé par"] == "Alice Martin"

    winter = by_date[date(2027, 3, 26)]
    assert (winter["date rdv"], winter["heure rdv"]) == (date(2027, 3, 26), clock_time(10, 0))
    # 08:05:59.7 is shown 08:05, as the hour it was (the minute is cut, never rounded up)
    assert (winter["date prise rdv"], winter["heure prise rdv"]) == (date(2027, 3, 1), clock_time(8, 5))
    assert winter["date naissance"] == date(1980, 1, 31)
    assert winter["origine"] == "Réservé en ligne par l'usager"
    assert winter["au moins un usager mineur ?"] == "non"
    assert winter["résultat des notifications"] == "Aucune notification"
    assert winter["créé par"] == "Usager (en ligne)"
    assert winter["lieu"] is None

    # the cells themselves: dates and times shown the French way, the year a number, never text
    sheet = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    for name, shown in (("date prise rdv", "dd/mm/yyyy"), ("heure prise rdv", "hh:mm"), ("date rdv", "dd/mm/yyyy"),
                        ("heure rdv", "hh:mm"), ("date naissance", "dd/mm/yyyy")):
        column = COLUMNS.index(name) + 1
        cell = sheet.cell(row=2, column=column)
        assert cell.is_date and cell.data_type == "d" and cell.number_format == shown, (column, cell.number_format)
    assert sheet.cell(row=2, column=1).data_type == "n"

    cancelled = by_date[date(2027, 4, 2)]
    assert cancelled["statut"] == "Annulé (révoqué)"
    assert cancelled["heure rdv"] == clock_time(14, 0)
    assert cancelled["usager(s)"] == "Usager anonymisé"  # the anonymised person's data is gone
    assert cancelled["date naissance"] is None

    # the filters of the RDV list apply
    only_revoked = _export(reporting, admin, {"status": "revoked"})
    assert only_revoked["rows"] == 1
    window = _export(reporting, admin, {"from": "2027-03-27", "to": "2027-03-28", "agent_id": str(w.agents["alice"])})
    _, rows = _download(reporting, admin, window)
    assert [row[4] for row in rows[1:]] == [date(2027, 3, 28)]


async def test_export_shows_only_what_the_requester_sees_and_only_the_owner_downloads(reporting, js):
    w = await _world(js)
    await _rdvs(w)
    _wait_facts(reporting, w, 3)
    alice = w.identity(role="basic", agent="alice", services=("pmi",))
    export = _export(reporting, alice)
    _, rows = _download(reporting, alice, export)
    assert [row[7] for row in rows[1:]] == ["Consultation nourrisson"]  # PMI only

    bruno = w.identity(role="basic", agent="bruno", services=("rsa",))
    admin = w.identity()
    for other in (bruno, admin):
        with reporting.client(other) as c:
            assert c.get(f"/v1/exports/{export['id']}/file").status_code == 404
            assert c.get(f"/v1/exports/{export['id']}").status_code == 404
            assert all(item["id"] != export["id"] for item in c.get("/v1/exports").json()["items"])
    with reporting.client(alice) as c:
        listing = c.get("/v1/exports").json()
    assert listing["total"] == 1 and listing["page"] == 1 and listing["per_page"] == 50
    item = listing["items"][0]
    assert {k: item[k] for k in ("id", "kind", "status", "progress", "rows")} == {
        "id": export["id"], "kind": "rdvs", "status": "done", "progress": 100, "rows": 1}
    assert item["filename"].endswith(".xlsx") and item["created_at"] and item["expires_at"]

    # the outbox told the others (reporting.export.ready, with the row count)
    sub = await js.subscribe("reporting.export.ready", ordered_consumer=True)
    deadline = time.monotonic() + 10
    ready = None
    while ready is None and time.monotonic() < deadline:
        try:
            msg = await sub.next_msg(timeout=1)
        except Exception:
            continue
        body = json.loads(msg.data)
        if body["data"]["export"]["id"] == export["id"]:
            ready = body
    await sub.unsubscribe()
    assert ready and ready["data"]["export"]["rows"] == 1 and ready["organisation_id"] == str(w.id)
    assert ready["data"]["export"]["agent_id"] == str(w.agents["alice"])


async def test_expired_export_file_is_removed(reporting, js):
    w = await _world(js)
    await _rdvs(w)
    _wait_facts(reporting, w, 3)
    admin = w.identity()
    export = _export(reporting, admin)
    path = Path(reporting.data_dir) / "exports" / f"{export['id']}.xlsx"
    assert path.is_file()
    with psycopg.connect(reporting.database_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("update exports set expires_at = now() - interval '1 minute' where id = %s", (export["id"],))
    wait_until(lambda: not path.exists(), timeout=10, message="fichier supprimé")
    with reporting.client(admin) as c:
        resp = c.get(f"/v1/exports/{export['id']}/file")
        assert resp.status_code == 410 and resp.json()["error"]["code"] == "export_expired"
        assert c.get(f"/v1/exports/{export['id']}").json()["expired"] is True


def test_bad_export_requests(reporting):
    from tests.support.service import make_identity

    with reporting.client(make_identity()) as c:
        assert c.post("/v1/exports", json={"kind": "usagers"}).status_code == 422
        bad = c.post("/v1/exports", json={"kind": "rdvs", "filters": {"from": "2027-03-10", "to": "2027-03-01"}})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        assert c.post("/v1/exports", json={"filters": {"motif_id": "nope"}}).status_code == 422
        assert c.get(f"/v1/exports/{uuid.uuid4()}/file").status_code == 404
        assert c.get("/v1/exports?per_page=500").status_code == 422
