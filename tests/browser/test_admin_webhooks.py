"""Administration > Webhooks: an admin adds an endpoint (secret shown once), sends a test event, reads the
delivery log, disables and deletes it; a real HTTP receiver gets the signed ping."""
from __future__ import annotations

import hashlib
import hmac
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import expect

from rdv.embedded import free_port
from tests.browser.conftest import login, open_page
from tests.support.system import wait_until


def test_an_admin_adds_tests_and_removes_a_webhook(page, setup, system):
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/partenaire"
    try:
        login(page, setup.org.admin_email, "Admin-Pass-2027!")
        open_page(page, "/admin/webhooks")
        form = page.locator("#webhook-form")
        form.get_by_label("Adresse (URL https://)").fill(url)
        form.get_by_label("RDV créé").check()
        form.get_by_label("RDV annulé").check()
        form.get_by_role("button", name="Créer le webhook").click()
        expect(page.locator("#flash")).to_contain_text("Webhook créé.")
        secret = page.locator("#webhook-secret").inner_text()
        assert secret.startswith("whsec_")
        row = page.get_by_role("row").filter(has_text=url)
        expect(row).to_contain_text("RDV créé, RDV annulé")
        expect(row).to_contain_text("Actif")

        row.get_by_role("button", name="Envoyer un test").click()
        expect(page.locator("#flash")).to_contain_text("Événement de test envoyé")
        wait_until(lambda: received, timeout=20, message="ping received")
        headers, body = received[0]
        t, v1 = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", headers["X-Rdv-Signature"]).groups()
        assert hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest() == v1

        def logged():
            row.get_by_role("button", name="Journal").click()
            return page.locator("#webhook-detail").get_by_role("cell", name="Livré").count() == 1
        wait_until(logged, timeout=15, interval=0.5, message="ping in the log")
        expect(page.locator("#webhook-detail")).to_contain_text("202")

        row.get_by_role("button", name="Désactiver").click()
        expect(row).to_contain_text("Désactivé")
        row.get_by_role("button", name="Supprimer").click()
        page.get_by_role("dialog").get_by_role("button", name="Supprimer").click()
        expect(page.locator("#flash")).to_contain_text("Webhook supprimé.")
        expect(page.get_by_text("Aucun webhook.")).to_be_visible()
        assert page.js_errors == []
    finally:
        server.shutdown()
