"""Test doubles of the outside world (a real SMTP server, a real HTTP SMS gateway) and a
publisher of real envelopes (directory, catalogue, usagers, booking) for one organisation."""
from __future__ import annotations

import asyncio
import email
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from rdv.embedded import free_port
from shared.events import new_event


class SmtpInbox:
    """aiosmtpd handler: keeps every accepted email, with the ESMTP parameters of its MAIL FROM and its
    bytes as received (by Message-ID); refuses (451) recipients listed in `down`."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.mail_options: dict[str, list[str]] = {}
        self.raw: dict[str, bytes] = {}
        self.down: set[str] = set()
        self.unknown: set[str] = set()
        self.refused: Counter = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            self.refused[address] += 1
            return "550 5.1.1 Destinataire inconnu"
        if address in self.down:
            self.refused[address] += 1
            return "451 4.3.0 Service momentanément indisponible"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), msg))
            self.mail_options[msg["Message-ID"]] = list(envelope.mail_options)
            self.raw[msg["Message-ID"]] = envelope.original_content
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]


def start_smtp(**server_options) -> tuple[Controller, SmtpInbox]:
    """A real SMTP server (8BITMIME and SMTPUTF8 offered); `decode_data=True` drops 8BITMIME,
    `enable_SMTPUTF8=False` drops SMTPUTF8."""
    inbox = SmtpInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **server_options)
    controller.start()
    return controller, inbox


class SmsGateway:
    """A local HTTP SMS provider (`http-json`): records {to, text, sender}; 503 for numbers in `down`."""

    def __init__(self, key: str):
        self.key = key
        self.received: list[dict] = []
        self.down: set[str] = set()
        self.invalid: set[str] = set()
        self.refused: Counter = Counter()
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                if self.headers.get("Authorization") != f"Bearer {gateway.key}":
                    code = 401
                elif body["to"] in gateway.invalid:
                    gateway.refused[body["to"]] += 1
                    code = 400
                elif body["to"] in gateway.down:
                    gateway.refused[body["to"]] += 1
                    code = 503
                else:
                    with gateway.lock:
                        gateway.received.append(body)
                    code = 202
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}' if code == 202 else b'{"error": "indisponible"}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, number: str) -> list[dict]:
        with self.lock:
            return [m for m in self.received if m["to"] == number]

    def close(self) -> None:
        self.server.shutdown()


async def wait_for(predicate, *, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` (sync) until truthy; return its value or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


def mobile() -> str:
    return "+336" + "".join(str(uuid.uuid4().int)[:8])


@dataclass
class World:
    """One organisation's directory, catalogue and usagers, published as real events."""

    js: object
    now: datetime  # the service's clock at the time the World is made
    org_id: uuid.UUID = field(default_factory=uuid.uuid4)
    service_id: uuid.UUID = field(default_factory=uuid.uuid4)
    motif_id: uuid.UUID = field(default_factory=uuid.uuid4)
    lieu_id: uuid.UUID = field(default_factory=uuid.uuid4)
    agent_ids: list[uuid.UUID] = field(default_factory=lambda: [uuid.uuid4(), uuid.uuid4()])
    agent_emails: list[str] = field(default_factory=list)

    async def publish(self, type_: str, data: dict, *, actor: dict | None = None, msg_id: str | None = None):
        ev = new_event(type_, organisation_id=self.org_id, data=data, actor=actor)
        await self.js.publish(type_, ev.to_json(), headers={"Nats-Msg-Id": msg_id or str(ev.id)})
        return ev

    async def setup(self, *, location_type: str = "public_office", catalogue: bool = True) -> "World":
        await self.publish("directory.organisation.created", {"organisation": {
            "id": str(self.org_id), "name": "Département Test", "slug": f"t-{self.org_id.hex[:6]}",
            "timezone": "Europe/Paris", "holiday_zone": "metropole", "publish_online": False}})
        await self.publish("directory.service.created", {"service": {
            "id": str(self.service_id), "name": "Protection maternelle et infantile", "short_name": "PMI"}})
        self.agent_emails = [f"agent-{a.hex[:8]}@test.rdv" for a in self.agent_ids]
        for agent_id, mail in zip(self.agent_ids, self.agent_emails):
            await self.publish("directory.agent.created", {"agent": {
                "id": str(agent_id), "email": mail, "first_name": "Karim", "last_name": "Benali",
                "role": "basic", "service_ids": [str(self.service_id)]}})
        await self.publish("availability.motif.created", {"motif": {
            "id": str(self.motif_id), "name": "Consultation PMI", "service_id": str(self.service_id),
            "duration_minutes": 30, "location_type": location_type, "color": "#00f", "reservable_online": False,
            "min_booking_delay_minutes": 30, "max_booking_delay_days": 90}})
        if catalogue:
            await self.publish_lieu()
        return self

    async def publish_lieu(self):
        await self.publish("availability.lieu.created", {"lieu": {
            "id": str(self.lieu_id), "name": "MDS Belleville", "address": "12 rue de Belleville, 75020 Paris",
            "phone": "01 40 00 00 01"}})

    async def usager(self, *, email: str | None = None, phone: str | None = None, sms: bool = True,
                     mail: bool = True, responsible_id: uuid.UUID | None = None, publish: bool = True) -> dict:
        usager = {"id": str(uuid.uuid4()), "first_name": "Élodie", "last_name": "Martin", "birth_date": "1990-04-12",
                  "email": email, "phone": phone, "notify_by_sms": sms, "notify_by_email": mail,
                  "responsible_id": str(responsible_id) if responsible_id else None, "birth_name": None,
                  "address": None, "organisation_id": str(self.org_id)}
        if publish:
            await self.publish("usagers.usager.created", {"usager": usager})
        return usager

    def rdv(self, *, usager_ids: list, starts_at: datetime, version: int = 1, status: str = "unknown",
            agent_ids: list | None = None, rdv_id: uuid.UUID | None = None) -> dict:
        agent_ids = agent_ids if agent_ids is not None else self.agent_ids
        return {"id": str(rdv_id or uuid.uuid4()), "organisation_id": str(self.org_id),
                "motif_id": str(self.motif_id), "lieu_id": str(self.lieu_id),
                "agent_ids": [str(a) for a in agent_ids], "usager_ids": [str(u) for u in usager_ids],
                "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(minutes=30)).isoformat(),
                "status": status, "display_status": "a_venir" if status == "unknown" else status,
                "context": None, "created_at": self.now.isoformat(), "created_by": str(self.agent_ids[0]),
                "cancelled_at": None, "service_id": str(self.service_id), "origin": "agent", "version": version,
                "duration_minutes": 30}

    def actor(self, index: int = 0) -> dict:
        return {"kind": "agent", "id": str(self.agent_ids[index])}


def at(day_offset_hours: float, base: datetime) -> datetime:
    return (base + timedelta(hours=day_offset_hours)).astimezone(timezone.utc).replace(microsecond=0)
