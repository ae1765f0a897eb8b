"""Webhooks through the gateway: admins only, an organisation's webhooks invisible to another, the test
ping and an RDV's events delivered signed to a real HTTP receiver, the delivery log."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rdv.embedded import free_port
from tests.support.system import wait_until


class Receiver:
    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/rdv"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _signed(secret: str, headers: dict, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in headers["X-Rdv-Signature"].split(","))
    return hmac.compare_digest(parts["v1"], hmac.new(secret.encode(), parts["t"].encode() + b"." + body,
                                                     hashlib.sha256).hexdigest())


def test_webhook_created_pinged_and_fed_with_rdv_events(system):
    receiver = Receiver()
    try:
        org = system.new_organisation()
        agent, agent_token = org.new_agent(role="basic")
        with system.client(agent_token) as c:
            refused = c.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["rdv.created"]})
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
            assert c.get("/api/v1/webhooks").status_code == 403
        with org.admin() as c:
            bad = c.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["rdv.deplace"]})
            assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
            hook = c.post("/api/v1/webhooks", json={"url": receiver.url, "events": ["rdv.created", "rdv.cancelled"]})
            assert hook.status_code == 201, hook.text
            hook = hook.json()
            assert hook["active"] is True and hook["secret"].startswith("whsec_")
            listed = c.get("/api/v1/webhooks").json()
            assert [h["id"] for h in listed["items"]] == [hook["id"]] and "secret" not in listed["items"][0]

            ping = c.post(f"/api/v1/webhooks/{hook['id']}/test")
            assert ping.status_code == 202, ping.text
            wait_until(lambda: receiver.requests, timeout=20, message="ping received")
            headers, body = receiver.requests[0]
            assert headers["X-Rdv-Event"] == "ping" and headers["X-Rdv-Delivery"] == ping.json()["delivery_id"]
            assert _signed(hook["secret"], headers, body) and json.loads(body)["type"] == "ping"

            service = c.post("/api/v1/services", json={"name": "PMI", "short_name": "PMI"}).json()
            motif = c.post("/api/v1/motifs", json={"name": "Consultation", "service_id": service["id"],
                                                   "duration_minutes": 30, "location_type": "phone"}).json()
            usager = c.post("/api/v1/usagers", json={"first_name": "Élodie", "last_name": "Martin",
                                                     "phone": "06 12 34 56 78"}).json()
            me = c.get("/api/v1/me").json()
            rdv = c.post("/api/v1/rdvs", json={"motif_id": motif["id"], "agent_ids": [me["id"]],
                                               "usager_ids": [usager["id"]], "starts_at": "2027-03-04T09:30:00+01:00",
                                               "allow_outside_opening": True})
            assert rdv.status_code == 201, rdv.text
            wait_until(lambda: len(receiver.requests) == 2, timeout=20, message="rdv.created received")
            headers, body = receiver.requests[1]
            assert headers["X-Rdv-Event"] == "rdv.created" and _signed(hook["secret"], headers, body)
            assert json.loads(body)["data"]["rdv"]["id"] == rdv.json()["id"]

            def delivered():
                items = c.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
                return len(items) == 2 and all(d["status"] == "delivered" for d in items) and items
            log = wait_until(delivered, timeout=20, message="two deliveries logged")
            assert {d["event"] for d in log} == {"ping", "rdv.created"}
            assert all(d["status_code"] == 200 and d["attempt"] == 1 and d["delivered_at"] for d in log)

            assert c.patch(f"/api/v1/webhooks/{hook['id']}", json={"active": False}).json()["active"] is False

        other = system.new_organisation()
        with other.admin() as c:  # another organisation's admin sees none of it
            assert c.get(f"/api/v1/webhooks/{hook['id']}/deliveries").status_code == 404
            assert c.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 404
        with org.admin() as c:
            assert c.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204
            assert c.get("/api/v1/webhooks").json()["total"] == 0
    finally:
        receiver.server.shutdown()
