"""Statistics and exports with every service running: RDVs booked through the gateway reach the
reporting facts, the stats count them, and the XLSX export shows them in the organisation's time."""
from __future__ import annotations

import io
from datetime import datetime, time

import openpyxl

from tests.support.system import wait_until

# RDV_NOW: Monday 2027-03-01 08:00 Paris; 2027-03-30 is the Tuesday after the spring DST change (Monday is Easter Monday).


def _setup(org):
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "Protection maternelle et infantile",
                                                   "short_name": "PMI"}).json()
        other_service = c.post("/api/v1/services", json={"name": "Revenu de solidarité active",
                                                         "short_name": "RSA"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Consultation PMI", "service_id": service["id"],
                                               "duration_minutes": 30, "location_type": "public_office"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "PMI Centre-ville",
                                             "address": "1 rue de la Mairie, 75001 Paris"}).json()
        enfant = c.post("/api/v1/usagers", json={"first_name": "Léa", "last_name": "Bernard",
                                                 "birth_date": "2015-06-01"}).json()
        adulte = c.post("/api/v1/usagers", json={"first_name": "Marc", "last_name": "Roux",
                                                 "birth_date": "1980-01-31"}).json()
    agent, token = org.new_agent(role="basic", service_ids=[service["id"]])
    outsider, outsider_token = org.new_agent(role="basic", service_ids=[other_service["id"]])
    with org.system.client(token) as c:
        for day in ("2027-03-04", "2027-03-30"):
            plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                                   "motif_ids": [motif["id"]], "title": "Matin", "first_day": day,
                                                   "start_time": "09:00", "end_time": "12:00", "recurrence": None})
            assert plage.status_code == 201, plage.text
    return service, motif, lieu, agent, token, outsider_token, enfant, adulte


def test_rdvs_booked_through_the_gateway_are_counted_and_exported(system):
    org = system.new_organisation(name="Département de Test Réunion")
    service, motif, lieu, agent, token, outsider_token, enfant, adulte = _setup(org)
    with org.admin() as c:
        winter = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"],
                                              "agent_ids": [agent["id"]], "usager_ids": [enfant["id"], adulte["id"]],
                                              "starts_at": "2027-03-04T09:30:00+01:00", "context": "Suivi"})
        assert winter.status_code == 201, winter.text
        summer = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"],
                                              "agent_ids": [agent["id"]], "usager_ids": [adulte["id"]],
                                              "starts_at": "2027-03-30T09:30:00+02:00"})
        assert summer.status_code == 201, summer.text
        cancelled = c.post(f"/api/v1/rdvs/{summer.json()['id']}/status", json={"status": "revoked"})
        assert cancelled.status_code == 200, cancelled.text

        def counted():
            resp = c.get("/api/v1/stats", params={"from": "2027-03-01", "to": "2027-03-31", "group_by": "motif"})
            assert resp.status_code == 200, resp.text
            body = resp.json()
            return body if body["total"] == 2 and body["by_status"]["revoked"] == 1 else None

        stats = wait_until(counted, timeout=30, message="RDV comptés")
        assert stats["by_status"]["unknown"] == 1
        assert [(g["label"], g["count"]) for g in stats["groups"]] == [("Consultation PMI", 2)]

        # names come from other streams (directory, availability): eventually there too
        for group_by, label in (("service", "Protection maternelle et infantile"), ("lieu", "PMI Centre-ville")):
            wait_until(lambda: [g["label"] for g in c.get("/api/v1/stats", params={"group_by": group_by}).json()["groups"]]
                       == [label], timeout=30, message=f"{group_by} nommé")
        export = c.post("/api/v1/exports", json={"kind": "rdvs", "filters": {"from": "2027-03-01", "to": "2027-03-31"}})
        assert export.status_code == 202, export.text
        export_id = export.json()["id"]

        def done():
            items = c.get("/api/v1/exports").json()["items"]
            mine = [e for e in items if e["id"] == export_id]
            return mine[0] if mine and mine[0]["status"] == "done" else None

        finished = wait_until(done, timeout=30, message="export terminé")
        assert finished["rows"] == 2 and finished["progress"] == 100
        assert finished["filename"].startswith("export-rdv-2027-03-01-") and finished["filename"].endswith(".xlsx")
        resp = c.get(f"/api/v1/exports/{export_id}/file")
        assert resp.status_code == 200, resp.text
        rows = list(openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True).active.iter_rows(values_only=True))
    header, first, second = rows[0], dict(zip(rows[0], rows[1])), dict(zip(rows[0], rows[2]))
    assert header[:6] == ("année", "date prise rdv", "heure prise rdv", "origine", "date rdv", "heure rdv")
    # real date and time cells (openpyxl: a date as a datetime at midnight, a time alone as a time)
    assert (first["date rdv"], first["heure rdv"]) == (datetime(2027, 3, 4), time(9, 30))
    assert (second["date rdv"], second["heure rdv"]) == (datetime(2027, 3, 30), time(9, 30))  # summer time, local
    assert first["date prise rdv"] == datetime(2027, 3, 1)
    assert first["statut"] == "À venir" and second["statut"] == "Annulé (révoqué)"
    assert first["au moins un usager mineur ?"] == "oui" and second["au moins un usager mineur ?"] == "non"
    assert first["usager(s)"] == "Léa Bernard, Marc Roux"
    assert first["professionnel.le(s)"] == f"{agent['first_name']} {agent['last_name']}"
    assert (first["service"], first["motif"], first["lieu"]) == ("Protection maternelle et infantile",
                                                                 "Consultation PMI", "PMI Centre-ville")
    assert first["organisation"] == "Département de Test Réunion"
    assert first["créé par"] == "Ada Admin"

    # the agent of the service counts them; an agent of another service does not, nor downloads the file
    with system.client(token) as c:
        assert c.get("/api/v1/stats").json()["total"] == 2
    with system.client(outsider_token) as c:
        assert c.get("/api/v1/stats").json()["total"] == 0
        assert c.get(f"/api/v1/exports/{export_id}/file").status_code == 404
