"""Notifications with every service running: booking, moving and cancelling an RDV through the
gateway tells the usager by SMS and email (dev inbox) and the agent who did not do it."""
from __future__ import annotations

from tests.support.system import wait_until

# RDV_NOW: Monday 2027-03-01 08:00 Paris


def _counter(org):
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "Protection maternelle et infantile",
                                                   "short_name": "PMI"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Consultation PMI", "service_id": service["id"],
                                               "duration_minutes": 30, "location_type": "public_office"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "PMI Centre-ville", "address": "1 rue de la Mairie, 75001 Paris",
                                             "phone": "01 40 00 00 01"}).json()
    agent, token = org.new_agent(role="basic", service_ids=[service["id"]])
    with org.system.client(token) as c:
        for day in ("2027-03-04", "2027-03-05"):
            plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                                   "motif_ids": [motif["id"]], "title": "Matin", "first_day": day,
                                                   "start_time": "09:00", "end_time": "12:00", "recurrence": None})
            assert plage.status_code == 201, plage.text
    return service, motif, lieu, agent, token


def _inbox(c, rdv_id: str) -> list[dict]:
    resp = c.get("/dev/messages", params={"rdv_id": rdv_id}, headers={"Accept": "application/json"})
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_booking_moving_cancelling_notifies_usager_and_agent(system):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _counter(org)
    with org.admin() as c:
        usager = c.post("/api/v1/usagers", json={"first_name": "Élodie", "last_name": "Martin",
                                                 "phone": "06 12 34 56 78", "email": "elodie.martin@example.fr"})
        assert usager.status_code == 201, usager.text
        usager = usager.json()
        rdv = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]],
                                           "usager_ids": [usager["id"]], "starts_at": "2027-03-04T09:30:00+01:00"})
        assert rdv.status_code == 201, rdv.text
        rdv = rdv.json()
        # The admin booked it: the usager gets an SMS and an email, the agent an email.
        messages = wait_until(lambda: len(_inbox(c, rdv["id"])) == 3 and _inbox(c, rdv["id"]), timeout=30,
                              message="confirmation messages")
        by_to = {(m["channel"], m["to"]): m for m in messages}
        sms = by_to[("sms", "+33612345678")]
        assert sms["kind"] == "confirmation" and "jeudi 4 mars 2027 à 9 h 30" in sms["body"]
        assert "1 rue de la Mairie" in sms["body"] and "01 40 00 00 01" in sms["body"]
        mail = by_to[("email", "elodie.martin@example.fr")]
        assert mail["subject"] == "Votre RDV du jeudi 4 mars 2027 à 9 h 30 est confirmé"
        assert mail["attachments"] == ["rdv.ics"]
        assert ("email", agent["email"]) in by_to

        moved = c.patch(f"/api/v1/rdvs/{rdv['id']}", json={"starts_at": "2027-03-05T10:00:00+01:00"})
        assert moved.status_code == 200, moved.text
        wait_until(lambda: len(_inbox(c, rdv["id"])) == 6, timeout=30, message="change messages")
        assert _inbox(c, rdv["id"])[0]["kind"] == "change"
        cancelled = c.post(f"/api/v1/rdvs/{rdv['id']}/status", json={"status": "revoked"})
        assert cancelled.status_code == 200, cancelled.text
        wait_until(lambda: len(_inbox(c, rdv["id"])) == 9, timeout=30, message="cancellation messages")

        listed = c.get(f"/api/v1/rdvs/{rdv['id']}/notifications")
        assert listed.status_code == 200, listed.text
        kinds = sorted((n["channel"], n["kind"]) for n in listed.json() if n["recipient"] == "+33612345678")
        assert kinds == [("sms", "cancellation"), ("sms", "change"), ("sms", "confirmation")]
        assert all(n["status"] == "sent" for n in listed.json())
    # Another organisation's admin cannot read them.
    other = system.new_organisation()
    with other.admin() as c:
        assert c.get(f"/api/v1/rdvs/{rdv['id']}/notifications").status_code == 404


def test_the_agent_booking_for_themselves_gets_no_email(system):
    org = system.new_organisation()
    service, motif, lieu, agent, token = _counter(org)
    with system.client(token) as c:
        usager = c.post("/api/v1/usagers", json={"first_name": "Jean", "last_name": "Dubois",
                                                 "email": "jp.dubois@example.fr", "notify_by_email": True,
                                                 "phone": "01 40 00 00 09"}).json()
        rdv = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]],
                                           "usager_ids": [usager["id"]], "starts_at": "2027-03-04T10:00:00+01:00"})
        assert rdv.status_code == 201, rdv.text
        # The messages of one cause are queued together: once one is listed, all are.
        listed = wait_until(lambda: c.get(f"/api/v1/rdvs/{rdv.json()['id']}/notifications").json(), timeout=30,
                            message="confirmation")
        assert [(n["channel"], n["recipient"]) for n in listed] == [("email", "jp.dubois@example.fr")]  # landline
