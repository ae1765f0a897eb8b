"""TLS to NATS, as docs/operations.md tells an operator to set it up: the servers get a `tls {}` block with a
certificate signed by their CA, the services a `tls://` URL and NATS_TLS_CA. Checked against a real nats-server
from the same wheel, with certificates made by openssl (a tool nobody here wrote):

- a service with the CA connects over TLS, with its own user, and its event is stored by JetStream;
- a client that does not trust that CA is refused during the handshake; so is a client speaking plain NATS;
- the locks hold over TLS too: no credentials, no connection.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import subprocess
import uuid
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

from rdv.embedded import free_port, nats_server_binary, port_open
from shared import natsauth
from shared.bus import connection_options
from tests.support.system import wait_until

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl absent")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _pki(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate it signs for 127.0.0.1/localhost, and a second CA that signs nothing here."""
    for name in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN=rdv test {name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=folder)
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=nats", "-keyout", "server.key",
             "-out", "server.csr", cwd=folder)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-extfile", "san.ext", "-out", "server.pem", cwd=folder)
    return {name: folder / name for name in ("ca.pem", "other-ca.pem", "server.pem", "server.key")}


@pytest.fixture(scope="module")
def tls_nats(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nats-tls")
    pki = _pki(folder)
    auth_conf = natsauth.write_server_config(folder)
    # The `tls {}` block of docs/operations.md, beside the authorization file `rdv up` writes.
    conf = folder / "nats-tls.conf"
    conf.write_text(f'include "{auth_conf.relative_to(folder)}"\n'  # nats-server: relative to this file
                    f'tls {{\n  cert_file: "{pki["server.pem"]}"\n  key_file: "{pki["server.key"]}"\n'
                    f'  timeout: 2\n}}\n')
    port = free_port()
    log = open(folder / "nats.log", "ab")
    proc = subprocess.Popen([nats_server_binary(), "-js", "-sd", str(folder / "store"), "-a", "127.0.0.1",
                             "-p", str(port), "-c", str(conf)], stdout=log, stderr=log)
    try:
        wait_until(lambda: port_open(port) or proc.poll() is not None, timeout=15, message="nats-server TLS")
        assert proc.poll() is None, (folder / "nats.log").read_text()
        users = json.loads(natsauth.users_file(folder).read_text())
        yield {"port": port, "pki": pki, "users": users, "folder": folder}
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _url(server, user: str | None = None) -> str:
    credentials = f"{user}:{server['users'][user]}@" if user else ""
    return f"tls://{credentials}127.0.0.1:{server['port']}"


async def _connect(options: dict):
    return await nats.connect(**options, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=3)


@pytest.mark.asyncio
async def test_a_service_with_the_ca_publishes_over_tls(tls_nats, monkeypatch):
    monkeypatch.setenv("NATS_TLS_CA", str(tls_nats["pki"]["ca.pem"]))
    admin = await _connect(connection_options(_url(tls_nats, "admin")))
    try:
        assert admin.connected_url.scheme == "tls"
        js = admin.jetstream()
        await js.add_stream(StreamConfig(name="BOOKING", subjects=["booking.>"]))
        booking = await _connect(connection_options(_url(tls_nats, "booking")))
        try:
            event = {"id": str(uuid.uuid4()), "type": "booking.rdv.created", "version": 1, "data": {}}
            ack = await booking.jetstream().publish("booking.rdv.created", json.dumps(event).encode())
            assert ack.stream == "BOOKING"
        finally:
            await booking.close()
        stored = await js.get_last_msg("BOOKING", "booking.rdv.created")
        assert json.loads(stored.data)["id"] == event["id"]
    finally:
        await admin.close()


@pytest.mark.asyncio
async def test_a_client_that_does_not_trust_the_ca_is_refused(tls_nats, monkeypatch):
    monkeypatch.setenv("NATS_TLS_CA", str(tls_nats["pki"]["other-ca.pem"]))
    with pytest.raises(Exception) as refused:
        nc = await _connect(connection_options(_url(tls_nats, "admin")))
        await nc.close()
    assert isinstance(refused.value, ssl.SSLCertVerificationError), repr(refused.value)


@pytest.mark.asyncio
async def test_plain_nats_and_anonymous_tls_are_refused(tls_nats, monkeypatch):
    def plain_connect() -> bytes:
        """Skip the TLS upgrade the server's INFO asks for, and talk plain NATS."""
        with socket.create_connection(("127.0.0.1", tls_nats["port"]), timeout=5) as s:
            info = s.recv(4096)
            assert b'"tls_required":true' in info, info
            s.sendall(b'CONNECT {"verbose":false}\r\nPING\r\n')
            answer = b""
            try:
                while chunk := s.recv(4096):
                    answer += chunk
            except (ConnectionResetError, socket.timeout):
                pass
            return answer

    assert b"PONG" not in await asyncio.to_thread(plain_connect)  # the server hangs up, nothing answered

    monkeypatch.setenv("NATS_TLS_CA", str(tls_nats["pki"]["ca.pem"]))
    monkeypatch.delenv("NATS_USER", raising=False)
    monkeypatch.delenv("NATS_PASSWORD", raising=False)
    monkeypatch.setenv("RDV_ENV", "production")  # no dev users file to fall back on
    options = connection_options(f"tls://127.0.0.1:{tls_nats['port']}")
    assert "user" not in options
    errors: list[str] = []

    async def on_error(exc):
        errors.append(str(exc))

    with pytest.raises(Exception):
        nc = await _connect({**options, "error_cb": on_error})
        await nc.close()
    assert any("authorization violation" in e.lower() for e in errors), errors
