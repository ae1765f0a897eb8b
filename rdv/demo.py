"""The demo organisation « Démo », created through the gateway's API like any integrator would."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from gateway.config import DEV_PLATFORM_KEY, GatewaySettings
from rdv.demo_data import AGENTS, DEMO_LOGINS, LIEUX, MOTIFS, SERVICES, USAGERS, WEEKDAYS
from rdv.demo_history import HISTORY_DAYS, Desk, closed_days, plan_history, record_history
from shared.settings import EmbeddedSettings, PlatformSettings

MOTIFS_OF_SERVICE = {"PMI": ["Consultation PMI", "Pesée du nourrisson"], "RSA": ["Entretien d'orientation RSA"],
                     "SSD": ["Entretien téléphonique", "Visite à domicile"]}
PLAGES = (("09:00", "12:00", "Permanence du matin"), ("14:00", "17:00", "Permanence de l'après-midi"))


@dataclass(frozen=True)
class DemoOptions:
    """Whether to seed (RDV_SEED), with which platform key, and from which instant (RDV_NOW, else now)."""

    wanted: bool = True
    platform_key: str = DEV_PLATFORM_KEY
    now: str | None = None

    @classmethod
    def from_settings(cls) -> DemoOptions:
        key = GatewaySettings().platform_key_value
        return cls(wanted=EmbeddedSettings().seed != "none", now=PlatformSettings().now,
                   platform_key=(key.get_secret_value() if key else "") or DEV_PLATFORM_KEY)

    def today(self, tz: ZoneInfo) -> date:
        now = datetime.fromisoformat(self.now) if self.now else datetime.now(tz)
        return now.astimezone(tz).date()


@dataclass
class Api:
    """The demo admin's session: every call must succeed, else the demo stops with the answer."""

    client: httpx.AsyncClient
    headers: dict[str, str]

    async def send(self, method: str, path: str, body: dict, what: str) -> dict:
        return _ok(await self.client.request(method, path, json=body, headers=self.headers), what)

    async def post(self, path: str, body: dict, what: str) -> dict:
        return await self.send("POST", path, body, what)


def _ok(resp: httpx.Response, what: str) -> dict:
    if resp.status_code >= 400:
        raise RuntimeError(f"{what}: {resp.status_code} {resp.text[:300]}")
    return resp.json() if resp.content else {}


async def create_demo(client: httpx.AsyncClient, options: DemoOptions) -> None:
    """The organisation, its catalogue, agents and agendas, usagers, a quarter of history, a few coming RDVs."""
    org, api, me = await _organisation(client, options.platform_key)
    await api.send("PATCH", "/api/v1/organisation", {"publish_online": True}, "publication")
    services = {short: (await api.post("/api/v1/services", {"name": name, "short_name": short}, "service"))["id"]
                for name, short in SERVICES}
    agents = await _agents(api, services, me)
    lieux = [await api.post("/api/v1/lieux", {"name": n, "address": a, "phone": p}, "lieu") for n, a, p in LIEUX]
    motifs = await _motifs(api, services)
    tz = ZoneInfo(org.get("timezone", "Europe/Paris"))
    today = options.today(tz)
    monday = today - timedelta(days=today.weekday())
    # The plages began a quarter ago: the agenda shows the opening hours of the past RDVs too.
    opened = monday - timedelta(weeks=(HISTORY_DAYS + 6) // 7)
    desks = await _agendas(api, agents, lieux, motifs, opened)
    await api.post("/api/v1/absences", {"agent_id": agents["sophie.leroy@demo.rdv"]["id"], "title": "Formation",
                                        "first_day": (monday + timedelta(days=9)).isoformat(), "start_time": "09:00",
                                        "end_day": (monday + timedelta(days=9)).isoformat(), "end_time": "17:00",
                                        "recurrence": None}, "absence")
    usagers = await _usagers(api)
    # History first: its events reach notifications before the coming RDVs' (nothing is sent for them).
    closed = await closed_days(client, api.headers, opened, today)
    await record_history(client, api.headers, plan_history(today=today, tz=tz, desks=desks, first=opened,
                                                           closed=closed, usager_ids=[u["id"] for u in usagers]))
    await _coming_rdvs(api, motifs, usagers, today)


async def _organisation(client: httpx.AsyncClient, platform_key: str) -> tuple[dict, Api, dict]:
    """Create « Démo » with its admin, and log the admin in."""
    admin_email, admin_password = DEMO_LOGINS["admin"]
    org = _ok(await client.post("/api/v1/organisations", headers={"X-Platform-Key": platform_key}, json={
        "name": "Démo", "timezone": "Europe/Paris", "holiday_zone": "metropole",
        "admin": {"email": admin_email, "first_name": "Amélie", "last_name": "Durand",
                  "password": admin_password}}), "organisation")
    login = _ok(await client.post("/api/v1/auth/login", json={"email": admin_email, "password": admin_password}),
                "login")
    return org, Api(client, {"Authorization": f"Bearer {login['token']}"}), login["agent"]


async def _agents(api: Api, services: dict[str, str], me: dict) -> dict[str, dict]:
    """The admin joins every service; the other agents are created in theirs."""
    agents = {}
    for email, first, last, role, shorts, password in AGENTS:
        ids = [services[s] for s in shorts]
        if email == DEMO_LOGINS["admin"][0]:
            agents[email] = await api.send("PATCH", f"/api/v1/agents/{me['id']}", {"service_ids": ids},
                                           "admin services")
        else:
            agents[email] = await api.post("/api/v1/agents", {
                "email": email, "first_name": first, "last_name": last, "password": password, "role": role,
                "service_ids": ids}, "agent")
    return agents


async def _motifs(api: Api, services: dict[str, str]) -> dict[str, dict]:
    motifs = {}
    for name, short, minutes, kind, online in MOTIFS:
        motifs[name] = await api.post("/api/v1/motifs", {
            "name": name, "service_id": services[short], "duration_minutes": minutes, "location_type": kind,
            "reservable_online": online, "min_booking_delay_minutes": 60, "max_booking_delay_days": 60}, "motif")
    return motifs


async def _agendas(api: Api, agents: dict[str, dict], lieux: list[dict], motifs: dict[str, dict],
                   opened: date) -> list[Desk]:
    """Each agent opens a morning and an afternoon every weekday, at one lieu, for their services' motifs."""
    weekly = {"every": "week", "interval": 1, "on": WEEKDAYS, "until": None}
    desks = []
    for i, (email, _, _, _, shorts, _) in enumerate(AGENTS):
        motif_ids = [motifs[m]["id"] for s in shorts for m in MOTIFS_OF_SERVICE[s]]
        lieu = lieux[i % len(lieux)]["id"]
        desks.append(Desk(agents[email]["id"], lieu, tuple(motif_ids)))
        for start, end, title in PLAGES:
            await api.post("/api/v1/plages", {
                "agent_id": agents[email]["id"], "lieu_id": lieu, "motif_ids": motif_ids, "title": title,
                "first_day": opened.isoformat(), "start_time": start, "end_time": end, "recurrence": weekly}, "plage")
    return desks


async def _usagers(api: Api) -> list[dict]:
    """The usagers, and a child as the first one's relative (proche)."""
    usagers = []
    for first, last, birth, email, phone in USAGERS:
        body = {"first_name": first, "last_name": last, "birth_date": birth, "notify_by_sms": True,
                "notify_by_email": True}
        if email:
            body["email"] = email
        if phone:
            body["phone"] = phone
        usagers.append(await api.post("/api/v1/usagers", body, "usager"))
    usagers.append(await api.post("/api/v1/usagers", {
        "first_name": "Inès", "last_name": "Martin", "birth_date": "2024-05-20", "responsible_id": usagers[0]["id"],
        "notify_by_sms": True, "notify_by_email": True}, "proche"))
    return usagers


async def _coming_rdvs(api: Api, motifs: dict[str, dict], usagers: list[dict], today: date) -> None:
    """A few RDVs on the first free créneaux of the coming days (one refused is simply skipped)."""
    booked = 0
    for i, (name, _, _, _, _) in enumerate(MOTIFS[:4]):
        resp = await api.client.get("/api/v1/creneaux", headers=api.headers, params={
            "motif_id": motifs[name]["id"], "from": today.isoformat(),
            "to": (today + timedelta(days=14)).isoformat()})
        if resp.status_code != 200:
            continue
        for slot in resp.json().get("items", [])[1:3]:
            r = await api.client.post("/api/v1/rdvs", headers=api.headers, json={
                "motif_id": slot["motif_id"], "lieu_id": slot["lieu_id"], "agent_ids": [slot["agent_id"]],
                "usager_ids": [usagers[(i + booked) % (len(usagers) - 1)]["id"]], "starts_at": slot["starts_at"],
                "context": "RDV de démonstration"})
            booked += r.status_code == 201
