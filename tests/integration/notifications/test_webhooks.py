"""Webhooks delivered by the notifications service to a real HTTP receiver on 127.0.0.1: signature,
retries after 500s and timeouts, the delivery log, the pseudonymised variant, disabling after repeated
failure (with an email to the admins), the test ping, and no second delivery id across a restart."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import nats
import pytest

from rdv.embedded import free_port
from tests.integration.notifications.conftest import T0, private_nats, query, service_env
from tests.integration.notifications.support import World, mobile, wait_for
from tests.support.service import make_identity, start_service

# Retries over 24 h, made testable: first retry after 0.2 s then doubling, given up 3 s after the event.
WEBHOOK_ENV = {"NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS": "0.2", "NOTIFICATIONS_WEBHOOK_RETRY_HORIZON_SECONDS": "3",
               "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": "1"}


class Receiver:
    """A partner's endpoint: `/hook/<name>` answers what `plan[name]` says in turn ("500", "sleep": longer
    than the delivery timeout, then 200; "slow": 2 s, then 200), 200 once the plan is spent or when
    `always[name]` is not set; every request is recorded with its headers and raw body."""

    def __init__(self):
        self.plan: dict[str, list[str]] = defaultdict(list)
        self.always: dict[str, str] = {}
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                name = self.path.rsplit("/", 1)[-1]
                if len(body) < length:  # the sender died while sending: not a request
                    return
                with receiver.lock:  # recorded as it arrives
                    action = receiver.plan[name].pop(0) if receiver.plan[name] else receiver.always.get(name, "200")
                    code = int(action) if action.isdigit() else 200
                    receiver.requests.append({"name": name, "headers": dict(self.headers), "body": body,
                                              "code": code, "action": action})
                if action == "sleep":
                    time.sleep(1.5)
                elif action == "slow":
                    time.sleep(2)
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender gave up (timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, name: str) -> str:
        return f"{self.base}/hook/{name}"

    def of(self, name: str) -> list[dict]:
        with self.lock:
            return [r for r in self.requests if r["name"] == name]

    def close(self):
        self.server.shutdown()


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does: recompute HMAC-SHA256 of "<t>.<body>" and check the timestamp's freshness."""
    parts = dict(p.split("=", 1) for p in headers["X-Rdv-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


@pytest.fixture(scope="module")
def svc(infra, nats_server, smtp, sms, clock):
    running = start_service("notifications", infra,
                            env=service_env(nats_server.url, smtp.port, sms.url, clock, **WEBHOOK_ENV))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


def admin_of(world: World, agent_id=None):
    return make_identity(organisation_id=world.org_id, agent_id=agent_id or world.agent_ids[0], role="admin")


def create_hook(svc, world, url: str, events: list[str], **extra) -> dict:
    with svc.client(admin_of(world)) as c:
        resp = c.post("/v1/webhooks", json={"url": url, "events": events, **extra})
    assert resp.status_code == 201, resp.text
    return resp.json()


def log_of(svc, world, hook_id) -> list[dict]:
    with svc.client(admin_of(world)) as c:
        resp = c.get(f"/v1/webhooks/{hook_id}/deliveries")
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_signed_deliveries_retried_after_500_and_timeout_and_logged(svc, js, receiver, clock):
    world = await World(js, clock.now()).setup()
    usager = await world.usager(email="elodie@example.fr", phone=mobile())
    hook = create_hook(svc, world, receiver.url("a"), ["rdv.created", "rdv.cancelled", "rdv.status_changed"])
    assert hook["active"] is True and hook["secret"] and hook["events"] == sorted(hook["events"])
    receiver.plan["a"] = ["500", "sleep"]

    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=T0 + timedelta(days=3))
    created = await world.publish("booking.rdv.created", {"rdv": rdv, "origin": "agent"}, actor=world.actor(0))
    calls = await wait_for(lambda: len(receiver.of("a")) >= 3 and receiver.of("a"), message="three attempts")
    assert [c["action"] for c in calls[:3]] == ["500", "sleep", "200"]
    assert len({c["headers"]["X-Rdv-Delivery"] for c in calls}) == 1, "one delivery id on every retry"
    assert {c["body"] for c in calls} == {calls[0]["body"]}, "the same body on every retry"
    assert all(c["headers"]["X-Rdv-Event"] == "rdv.created" for c in calls)
    assert all(verify(hook["secret"], c["headers"], c["body"]) for c in calls)
    assert not verify("whsec_autre", calls[0]["headers"], calls[0]["body"])
    assert not verify(hook["secret"], calls[0]["headers"], calls[0]["body"] + b" ")
    envelope = json.loads(calls[0]["body"])
    assert envelope["id"] == str(created.id) and envelope["type"] == "booking.rdv.created"
    assert envelope["data"]["rdv"]["id"] == rdv["id"] and envelope["organisation_id"] == str(world.org_id)

    (entry,) = await wait_for(lambda: [e for e in log_of(svc, world, hook["id"]) if e["status"] == "delivered"],
                              message="delivery logged")
    assert entry["id"] == calls[0]["headers"]["X-Rdv-Delivery"] and entry["event"] == "rdv.created"
    assert entry["attempt"] == 3 and entry["status_code"] == 200 and entry["delivered_at"]
    assert [a["status_code"] for a in entry["attempts"]] == [500, None, 200]
    assert "délai" in entry["attempts"][1]["error"] and entry["attempts"][0]["error"] == "réponse HTTP 500"

    # A cancellation is a status change too: two events, two delivery ids; an update was not chosen.
    await world.publish("booking.rdv.updated", {"rdv": dict(rdv, version=2), "changes": {"context": [None, "x"]}})
    await world.publish("booking.rdv.status_changed", {"rdv": dict(rdv, version=3, status="revoked"),
                                                       "previous_status": "unknown"})
    later = await wait_for(lambda: len(receiver.of("a")) >= 5 and receiver.of("a")[3:], message="cancellation")
    assert sorted(c["headers"]["X-Rdv-Event"] for c in later) == ["rdv.cancelled", "rdv.status_changed"]
    assert len({c["headers"]["X-Rdv-Delivery"] for c in later}) == 2
    assert len(log_of(svc, world, hook["id"])) == 3


async def test_admins_only_and_organisations_apart(svc, js, receiver, clock):
    world = await World(js, clock.now()).setup()
    hook = create_hook(svc, world, receiver.url("z"), ["rdv.created"])
    basic = make_identity(organisation_id=world.org_id, agent_id=world.agent_ids[1], role="basic")
    with svc.client(basic) as c:
        assert c.get("/v1/webhooks").status_code == 403
        assert c.post("/v1/webhooks", json={"url": receiver.url("z"), "events": ["rdv.created"]}).status_code == 403
    with svc.client(make_identity()) as c:  # an admin of another organisation
        assert c.get(f"/v1/webhooks/{hook['id']}/deliveries").status_code == 404
        assert c.patch(f"/v1/webhooks/{hook['id']}", json={"active": False}).status_code == 404
        assert c.delete(f"/v1/webhooks/{hook['id']}").status_code == 404
        assert c.get("/v1/webhooks").json()["total"] == 0
    with svc.client(admin_of(world)) as c:
        listed = c.get("/v1/webhooks").json()
        assert [h["id"] for h in listed["items"]] == [hook["id"]] and "secret" not in listed["items"][0]
        for body, code in (({"url": "ftp://example.fr/x", "events": ["rdv.created"]}, "invalid_webhook_url"),
                           ({"url": "https://user:pw@example.fr/x", "events": ["rdv.created"]}, "invalid_webhook_url"),
                           ({"url": "https://example.fr/x", "events": ["rdv.moved"]}, "validation_error"),
                           ({"url": "https://example.fr/x", "events": []}, "validation_error")):
            resp = c.post("/v1/webhooks", json=body)
            assert resp.status_code == 422 and resp.json()["error"]["code"] == code, resp.text
        assert c.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
        assert c.get(f"/v1/webhooks/{hook['id']}/deliveries").status_code == 404


async def test_pseudonymised_variant_has_no_names_and_stable_pseudonyms(svc, js, receiver, clock):
    world = await World(js, clock.now()).setup()
    hook = create_hook(svc, world, receiver.url("p"), ["usager.updated", "rdv.created"], pseudonymised=True)
    plain = create_hook(svc, world, receiver.url("q"), ["usager.updated"])
    phone = mobile()
    usager = await world.usager(email="aicha.diallo@example.fr", phone=phone)
    for version in ("Aïcha", "Aïssa"):
        await world.publish("usagers.usager.updated", {"usager": dict(
            usager, first_name=version, last_name="Diallo", effective_email=usager["email"],
            effective_phone=phone, address="3 rue Haute", birth_name="Bâ")})
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=T0 + timedelta(days=3))
    await world.publish("booking.rdv.created", {"rdv": rdv, "origin": "agent"}, actor=world.actor(0))
    calls = await wait_for(lambda: len(receiver.of("p")) == 3 and receiver.of("p"), message="pseudonymised")
    for call in calls:
        assert verify(hook["secret"], call["headers"], call["body"])
        text = call["body"].decode()
        for personal in ("Diallo", "Aïcha", "Aïssa", "aicha.diallo", phone[1:], "rue Haute", usager["id"], "1990"):
            assert personal not in text, personal
    bodies = [json.loads(c["body"]) for c in calls]
    ids = [b["data"]["usager"]["id"] for b in bodies if b["type"] == "usagers.usager.updated"]
    (rdv_body,) = [b for b in bodies if b["type"] == "booking.rdv.created"]
    assert ids[0] == ids[1] == rdv_body["data"]["rdv"]["usager_ids"][0] and ids[0].startswith("u-")
    assert rdv_body["data"]["rdv"]["id"] == rdv["id"] and rdv_body["data"]["rdv"]["starts_at"] == rdv["starts_at"]
    full = await wait_for(lambda: len(receiver.of("q")) == 2 and receiver.of("q"), message="plain variant")
    assert "Diallo" in full[0]["body"].decode() and verify(plain["secret"], full[0]["headers"], full[0]["body"])

    # The usager anonymised: the delivery log keeps no body that names them.
    def held() -> int:
        return query(svc.database_url, "select count(*) from webhook_deliveries where webhook_id = %(w)s and "
                     "body like %(p)s", {"w": plain["id"], "p": f"%{usager['id']}%"})[0][0]
    assert held() == 2
    await world.publish("usagers.usager.anonymized", {"usager_id": usager["id"]})
    await wait_for(lambda: held() == 0, message="bodies erased")
    assert len(log_of(svc, world, plain["id"])) == 2


async def test_disabled_after_repeated_failure_admins_emailed_then_ping(svc, js, receiver, smtp, clock):
    world = await World(js, clock.now()).setup()
    admin_id, admin_email = uuid.uuid4(), f"admin-{uuid.uuid4().hex[:8]}@test.rdv"
    await world.publish("directory.agent.created", {"agent": {
        "id": str(admin_id), "email": admin_email, "first_name": "Nadia", "last_name": "Admin", "role": "admin",
        "service_ids": []}})
    hook = create_hook(svc, world, receiver.url("down"), ["rdv.created"])
    receiver.always["down"] = "500"
    usager = await world.usager(email="x@example.fr")
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=T0 + timedelta(days=3))
    await world.publish("booking.rdv.created", {"rdv": rdv, "origin": "agent"}, actor=world.actor(0))

    with svc.client(admin_of(world)) as c:
        disabled = await wait_for(lambda: [h for h in c.get("/v1/webhooks").json()["items"] if not h["active"]],
                                  timeout=30, message="webhook disabled")
    assert disabled[0]["disabled_at"]
    (entry,) = log_of(svc, world, hook["id"])
    assert entry["status"] == "failed" and entry["attempt"] >= 3 and entry["delivered_at"] is None
    assert all(a["status_code"] == 500 for a in entry["attempts"]) and entry["attempt"] == len(receiver.of("down"))
    (mail,) = await wait_for(lambda: smtp.to(admin_email), message="email to the admin")
    assert "désactivé" in mail["Subject"] and receiver.url("down") in mail.get_body(("plain",)).get_content()
    assert not [m for a in world.agent_emails for m in smtp.to(a) if "désactivé" in m["Subject"]], \
        "basic agents are not told"

    # Disabled: an event is consumed but not delivered.
    attempts = len(receiver.of("down"))
    second = await world.publish("booking.rdv.created", {"rdv": world.rdv(usager_ids=[usager["id"]],
                                                                        starts_at=T0 + timedelta(days=4)),
                                                         "origin": "agent"}, actor=world.actor(0))
    await wait_for(lambda: query(svc.database_url, "select 1 from inbox where event_id = %(i)s and consumer = "
                                 "'notifications-rdv'", {"i": second.id}), message="second event consumed")
    assert len(log_of(svc, world, hook["id"])) == 1 and len(receiver.of("down")) == attempts

    # Re-enabled by an admin, then the test button: a signed ping, logged.
    receiver.always["down"] = "204"
    with svc.client(admin_of(world)) as c:
        assert c.patch(f"/v1/webhooks/{hook['id']}", json={"active": True}).json()["active"] is True
        sent = c.post(f"/v1/webhooks/{hook['id']}/test")
        assert sent.status_code == 202, sent.text
    ping = await wait_for(lambda: [r for r in receiver.of("down") if r["headers"]["X-Rdv-Event"] == "ping"],
                          message="ping")
    assert ping[0]["headers"]["X-Rdv-Delivery"] == sent.json()["delivery_id"]
    assert verify(hook["secret"], ping[0]["headers"], ping[0]["body"]) and ping[0]["code"] == 204
    logged = await wait_for(lambda: [e for e in log_of(svc, world, hook["id"])
                                     if e["event"] == "ping" and e["status"] == "delivered"], message="ping logged")
    assert logged[0]["status_code"] == 204


async def test_no_second_delivery_id_across_a_restart(infra, smtp, sms, clock, receiver):
    """SIGKILL the service while deliveries are in flight, start it again, and replay the events: the
    receiver sees every event, each under one delivery id (a retry of an uncommitted round reuses it).
    Its own NATS: the module's service would otherwise share the durable consumers."""
    server = private_nats()
    nc = await nats.connect(server.url)
    js = nc.jetstream(timeout=5)
    env = service_env(server.url, smtp.port, sms.url, clock, **{
        **WEBHOOK_ENV, "NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS": "5", "NOTIFICATIONS_WEBHOOK_RETRY_HORIZON_SECONDS": "600"})
    own = start_service("notifications", infra, env=env)
    try:
        world = await World(js, clock.now()).setup()
        with own.client(admin_of(world)) as c:
            hook = c.post("/v1/webhooks", json={"url": receiver.url("r"), "events": ["rdv.created"]}).json()
        receiver.always["r"] = "slow"
        usager = await world.usager(email="r@example.fr")
        events = []
        for i in range(12):
            rdv = world.rdv(usager_ids=[usager["id"]], starts_at=T0 + timedelta(days=2, hours=i))
            events.append(await world.publish("booking.rdv.created", {"rdv": rdv, "origin": "agent"}))
        # Every event consumed (its delivery stored), then the first requests in flight (answered after 2 s).
        await wait_for(lambda: query(own.database_url, "select count(*) from webhook_deliveries where webhook_id = "
                                     "%(w)s", {"w": hook["id"]}) == [(12,)], message="deliveries stored")
        await wait_for(lambda: receiver.of("r"), message="first deliveries")
        own.proc.kill()
        own.proc.wait(10)
        own = start_service("notifications", infra, database_url=own.database_url, env=env)
        for ev in events[:4]:  # the broker delivers some events again
            await js.publish(ev.type, ev.to_json(), headers={"Nats-Msg-Id": f"again-{ev.id}"})

        def seen() -> dict[str, set[str]]:
            by_event: dict[str, set[str]] = defaultdict(set)
            for r in receiver.of("r"):
                by_event[json.loads(r["body"])["id"]].add(r["headers"]["X-Rdv-Delivery"])
            return by_event
        await wait_for(lambda: len([e for e in log_of(own, world, hook["id"]) if e["status"] == "delivered"]) == 12,
                       timeout=30, message="all delivered")
        resent = [r for r in receiver.of("r") if r["headers"]["X-Rdv-Delivery"] in
                  {x["headers"]["X-Rdv-Delivery"] for x in receiver.of("r") if x is not r}]
        assert resent, "the round cut by the kill was sent again (under the same ids)"
        assert set(seen()) == {str(e.id) for e in events}
        assert all(len(ids) == 1 for ids in seen().values()), "one delivery id per event"
        rows = query(own.database_url, "select count(*), count(distinct cause_id) from webhook_deliveries "
                     "where webhook_id = %(w)s", {"w": hook["id"]})
        assert rows == [(12, 12)]
    finally:
        own.stop()
        await nc.drain()
        server.stop()


async def test_production_accepts_https_only(infra, smtp, sms):
    """RDV_ENV=production: http:// and local addresses are refused (422, French message, stable codes)."""
    secret = "a-real-secret-for-this-test"
    server = private_nats()
    prod = start_service("notifications", infra, env={
        "NATS_URL": server.url, "RDV_ENV": "production", "RDV_INTERNAL_SECRET": secret,
        "RDV_SMTP_HOST": "127.0.0.1", "RDV_SMTP_PORT": str(smtp.port), "RDV_SMS_PROVIDER": "http-json",
        "RDV_SMS_HTTP_URL": sms.url, "RDV_SMS_HTTP_KEY": "k"})
    try:
        with prod.client(make_identity(), secret=secret) as c:  # signed with the service's secret
            for url, code in (("http://partenaire.example.fr/rdv", "insecure_webhook_url"),
                              ("https://127.0.0.1/rdv", "private_webhook_url"),
                              ("https://localhost:8443/rdv", "private_webhook_url")):
                resp = c.post("/v1/webhooks", json={"url": url, "events": ["rdv.created"]})
                assert resp.status_code == 422, resp.text
                error = resp.json()["error"]
                assert error["code"] == code and "adresse" in error["message"].lower()
                assert c.get("/v1/webhooks").json()["total"] == 0
            created = c.post("/v1/webhooks", json={"url": "https://partenaire.example.fr/rdv", "events": ["rdv.created"]})
            assert created.status_code == 201, created.text
            changed = c.patch(f"/v1/webhooks/{created.json()['id']}", json={"url": "http://partenaire.example.fr/rdv"})
            assert changed.status_code == 422 and changed.json()["error"]["code"] == "insecure_webhook_url"
    finally:
        prod.stop()
        server.stop()
