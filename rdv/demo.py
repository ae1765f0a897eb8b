"""The demo organisation « Démo », created through the gateway's API like any integrator would."""
from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from rdv.demo_data import AGENTS, DEMO_LOGINS, LIEUX, MOTIFS, SERVICES, USAGERS, WEEKDAYS
from rdv.demo_history import HISTORY_DAYS, Desk, closed_days, plan_history, record_history


def _ok(resp: httpx.Response, what: str) -> dict:
    if resp.status_code >= 400:
        raise RuntimeError(f"{what}: {resp.status_code} {resp.text[:300]}")
    return resp.json() if resp.content else {}


async def create_demo(client: httpx.AsyncClient, env: dict[str, str]) -> None:
    key = env.get("RDV_PLATFORM_KEY") or os.environ.get("RDV_PLATFORM_KEY") or "dev-platform-key"
    admin_email, admin_password = DEMO_LOGINS["admin"]
    org = _ok(await client.post("/api/v1/organisations", headers={"X-Platform-Key": key}, json={
        "name": "Démo", "timezone": "Europe/Paris", "holiday_zone": "metropole",
        "admin": {"email": admin_email, "first_name": "Amélie", "last_name": "Durand",
                  "password": admin_password}}), "organisation")
    login = _ok(await client.post("/api/v1/auth/login", json={"email": admin_email, "password": admin_password}),
                "login")
    auth = {"Authorization": f"Bearer {login['token']}"}
    me = login["agent"]

    async def post(path: str, body: dict, what: str) -> dict:
        return _ok(await client.post(path, json=body, headers=auth), what)

    _ok(await client.patch("/api/v1/organisation", json={"publish_online": True}, headers=auth), "publication")
    services = {short: (await post("/api/v1/services", {"name": name, "short_name": short}, "service"))["id"]
                for name, short in SERVICES}
    agents = {}
    for email, first, last, role, shorts, password in AGENTS:
        ids = [services[s] for s in shorts]
        if email == admin_email:
            agents[email] = _ok(await client.patch(f"/api/v1/agents/{me['id']}", json={"service_ids": ids},
                                                   headers=auth), "admin services")
        else:
            agents[email] = await post("/api/v1/agents", {"email": email, "first_name": first, "last_name": last,
                                                          "password": password, "role": role,
                                                          "service_ids": ids}, "agent")
    lieux = [await post("/api/v1/lieux", {"name": n, "address": a, "phone": p}, "lieu") for n, a, p in LIEUX]
    motifs = {}
    for name, short, minutes, kind, online in MOTIFS:
        motifs[name] = await post("/api/v1/motifs", {
            "name": name, "service_id": services[short], "duration_minutes": minutes, "location_type": kind,
            "reservable_online": online, "min_booking_delay_minutes": 60, "max_booking_delay_days": 60}, "motif")

    tz = ZoneInfo(org.get("timezone", "Europe/Paris"))
    today = _today(tz, env)
    monday = today - timedelta(days=today.weekday())
    # The plages began a quarter ago: the agenda shows the opening hours of the past RDVs too.
    opened = monday - timedelta(weeks=(HISTORY_DAYS + 6) // 7)
    weekly = {"every": "week", "interval": 1, "on": WEEKDAYS, "until": None}
    by_service = {"PMI": ["Consultation PMI", "Pesée du nourrisson"], "RSA": ["Entretien d'orientation RSA"],
                  "SSD": ["Entretien téléphonique", "Visite à domicile"]}
    desks = []
    for i, (email, _, _, _, shorts, _) in enumerate(AGENTS):
        motif_ids = [motifs[m]["id"] for s in shorts for m in by_service[s]]
        lieu = lieux[i % len(lieux)]["id"]
        desks.append(Desk(agents[email]["id"], lieu, tuple(motif_ids)))
        for start, end, title in (("09:00", "12:00", "Permanence du matin"), ("14:00", "17:00", "Permanence de l'après-midi")):
            await post("/api/v1/plages", {"agent_id": agents[email]["id"], "lieu_id": lieu, "motif_ids": motif_ids,
                                          "title": title, "first_day": opened.isoformat(), "start_time": start,
                                          "end_time": end, "recurrence": weekly}, "plage")
    await post("/api/v1/absences", {"agent_id": agents["sophie.leroy@demo.rdv"]["id"], "title": "Formation",
                                    "first_day": (monday + timedelta(days=9)).isoformat(), "start_time": "09:00",
                                    "end_day": (monday + timedelta(days=9)).isoformat(), "end_time": "17:00",
                                    "recurrence": None}, "absence")
    usagers = []
    for first, last, birth, email, phone in USAGERS:
        body = {"first_name": first, "last_name": last, "birth_date": birth, "notify_by_sms": True,
                "notify_by_email": True}
        if email:
            body["email"] = email
        if phone:
            body["phone"] = phone
        usagers.append(await post("/api/v1/usagers", body, "usager"))
    usagers.append(await post("/api/v1/usagers", {
        "first_name": "Inès", "last_name": "Martin", "birth_date": "2024-05-20", "responsible_id": usagers[0]["id"],
        "notify_by_sms": True, "notify_by_email": True}, "proche"))
    # History first: its events reach notifications before the coming RDVs' (nothing is sent for them).
    closed = await closed_days(client, auth, opened, today)
    await record_history(client, auth, plan_history(today=today, tz=tz, desks=desks, first=opened, closed=closed,
                                                    usager_ids=[u["id"] for u in usagers]))
    # A few RDVs on the first free créneaux of the coming days.
    booked = 0
    for i, (name, _, _, _, _) in enumerate(MOTIFS[:4]):
        resp = await client.get("/api/v1/creneaux", headers=auth, params={
            "motif_id": motifs[name]["id"], "from": today.isoformat(),
            "to": (today + timedelta(days=14)).isoformat()})
        if resp.status_code != 200:
            continue
        for slot in resp.json().get("items", [])[1:3]:
            r = await client.post("/api/v1/rdvs", headers=auth, json={
                "motif_id": slot["motif_id"], "lieu_id": slot["lieu_id"], "agent_ids": [slot["agent_id"]],
                "usager_ids": [usagers[(i + booked) % (len(usagers) - 1)]["id"]], "starts_at": slot["starts_at"],
                "context": "RDV de démonstration"})
            booked += r.status_code == 201


def _today(tz: ZoneInfo, env: dict[str, str]) -> date:
    raw = env.get("RDV_NOW")
    now = datetime.fromisoformat(raw) if raw else datetime.now(tz)
    return now.astimezone(tz).date()
