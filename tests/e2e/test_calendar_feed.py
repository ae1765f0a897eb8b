"""An agent's calendar feed through the gateway: a secret URL that standard clients read (checked with the
`icalendar` parser), ETag / If-None-Match, names hidden on request, and revocation that is immediate."""
from __future__ import annotations

import httpx
from icalendar import Calendar

# RDV_NOW: Monday 2027-03-01 08:00 Paris


def _setup(org):
    with org.admin() as c:
        service = c.post("/api/v1/services", json={"name": "Service social", "short_name": "SS"}).json()
        motif = c.post("/api/v1/motifs", json={"name": "Accueil RSA", "service_id": service["id"],
                                               "duration_minutes": 30, "location_type": "public_office"}).json()
        lieu = c.post("/api/v1/lieux", json={"name": "MDS Nord", "address": "3 place du Marché, 59000 Lille",
                                             "phone": "03 20 00 00 01"}).json()
    agent, token = org.new_agent(role="basic", service_ids=[service["id"]])
    with org.system.client(token) as c:
        for day in ("2027-03-04", "2027-03-05", "2027-09-13"):
            plage = c.post("/api/v1/plages", json={"agent_id": agent["id"], "lieu_id": lieu["id"],
                                                   "motif_ids": [motif["id"]], "title": "Matin", "first_day": day,
                                                   "start_time": "09:00", "end_time": "12:00", "recurrence": None})
            assert plage.status_code == 201, plage.text
    return motif, lieu, agent, token


def _book(c, motif, lieu, agent, usager, starts_at: str) -> dict:
    resp = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "lieu_id": lieu["id"], "agent_ids": [agent["id"]],
                                        "usager_ids": [usager["id"]], "starts_at": starts_at})
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_feed_is_icalendar_with_etag_hidden_names_and_immediate_revocation(system):
    org = system.new_organisation()
    motif, lieu, agent, token = _setup(org)
    with system.client(token) as c:
        usager = c.post("/api/v1/usagers", json={"first_name": "Aïcha", "last_name": "Diallo, née Bâ",
                                                 "phone": "06 12 34 56 78"}).json()
        first = _book(c, motif, lieu, agent, usager, "2027-03-04T09:30:00+01:00")
        cancelled = _book(c, motif, lieu, agent, usager, "2027-03-05T10:00:00+01:00")
        assert c.post(f"/api/v1/rdvs/{cancelled['id']}/status", json={"status": "revoked"}).status_code == 200
        _book(c, motif, lieu, agent, usager, "2027-09-13T09:00:00+02:00")  # beyond six months: left out

        feed = c.get("/api/v1/me/calendar-feed")
        assert feed.status_code == 200, feed.text
        feed = feed.json()
        assert c.get("/api/v1/me/calendar-feed").json()["url"] == feed["url"], "the same URL on every call"
        assert feed["url"].startswith(system.base_url + "/ics/") and feed["url"].endswith(".ics")
        assert feed["webcal_url"] == "webcal://" + feed["url"].split("://", 1)[1]
        assert feed["hide_usager_names"] is False

    with httpx.Client() as anonymous:  # no session, no token: the URL is the credential
        resp = anonymous.get(feed["url"])
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith("text/calendar")
        etag = resp.headers["etag"]
        cal = Calendar.from_ical(resp.content)
        events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
        assert set(events) == {f"rdv-{first['id']}@rdv", f"rdv-{cancelled['id']}@rdv"}
        ev = events[f"rdv-{first['id']}@rdv"]
        assert ev.decoded("dtstart").isoformat() == "2027-03-04T08:30:00+00:00"
        assert ev.decoded("dtend").isoformat() == "2027-03-04T09:00:00+00:00"
        assert str(ev["summary"]) == "RDV Accueil RSA - Aïcha Diallo, née Bâ"
        assert str(ev["location"]) == "MDS Nord, 3 place du Marché, 59000 Lille"
        assert str(ev["status"]) == "CONFIRMED"
        assert str(events[f"rdv-{cancelled['id']}@rdv"]["status"]) == "CANCELLED"
        assert "06 12" not in resp.text and "+336" not in resp.text, "no phone number in the feed"

        again = anonymous.get(feed["url"], headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert anonymous.get(feed["url"], headers={"If-None-Match": '"autre"'}).status_code == 200

    with system.client(token) as c:  # a change to an RDV changes the body and its ETag
        moved = c.patch(f"/api/v1/rdvs/{first['id']}", json={"starts_at": "2027-03-04T10:00:00+01:00"})
        assert moved.status_code == 200, moved.text
    with httpx.Client() as anonymous:
        changed = anonymous.get(feed["url"], headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        ev = [e for e in Calendar.from_ical(changed.content).walk("VEVENT") if str(e["uid"]) == f"rdv-{first['id']}@rdv"]
        assert ev[0].decoded("dtstart").isoformat() == "2027-03-04T09:00:00+00:00"

    with system.client(token) as c:
        hidden = c.patch("/api/v1/me/calendar-feed", json={"hide_usager_names": True})
        assert hidden.status_code == 200 and hidden.json()["url"] == feed["url"]
    with httpx.Client() as anonymous:
        resp = anonymous.get(feed["url"])
        assert "Diallo" not in resp.text and "Aïcha" not in resp.text
        assert {str(e["summary"]) for e in Calendar.from_ical(resp.content).walk("VEVENT")} == {"RDV Accueil RSA"}

    with system.client(token) as c:
        rotated = c.post("/api/v1/me/calendar-feed/rotate")
        assert rotated.status_code == 200, rotated.text
        new_url = rotated.json()["url"]
        assert new_url != feed["url"] and c.get("/api/v1/me/calendar-feed").json()["url"] == new_url
    with httpx.Client() as anonymous:
        gone = anonymous.get(feed["url"], headers={"If-None-Match": etag})
        assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
        assert anonymous.get(new_url).status_code == 200
        assert anonymous.get(system.base_url + "/ics/pas-un-jeton.ics").status_code == 404

    # Another agent's feed never shows this agent's RDVs; a deleted agent's feed is gone.
    other, other_token = org.new_agent(role="basic")
    with system.client(other_token) as c:
        other_url = c.get("/api/v1/me/calendar-feed").json()["url"]
    with httpx.Client() as anonymous:
        assert Calendar.from_ical(anonymous.get(other_url).content).walk("VEVENT") == []
    with org.admin() as c:
        assert c.delete(f"/api/v1/agents/{agent['id']}").status_code in (200, 204)
    with httpx.Client() as anonymous:
        assert anonymous.get(new_url).status_code == 404


def test_calendar_feed_routes_are_in_openapi(system):
    with httpx.Client() as c:
        paths = c.get(system.base_url + "/openapi.json").json()["paths"]
    assert {"get", "patch"} <= set(paths["/api/v1/me/calendar-feed"])
    assert "post" in paths["/api/v1/me/calendar-feed/rotate"]
    assert "get" in paths["/ics/{token}.ics"]
    for path in ("/api/v1/webhooks", "/api/v1/webhooks/{webhook_id}", "/api/v1/webhooks/{webhook_id}/test",
                 "/api/v1/webhooks/{webhook_id}/deliveries"):
        assert path in paths
    described = paths["/api/v1/webhooks"]["post"]["description"]
    assert all(h in described for h in ("X-Rdv-Event", "X-Rdv-Delivery", "X-Rdv-Signature: t=<unix seconds>,v1="))
    assert paths["/ics/{token}.ics"]["get"]["security"] == []
