"""One notifications service for this folder, with a real SMTP server (aiosmtpd), a real HTTP
SMS gateway and its own NATS server (so no other service of the session shares its durable consumers)."""
from __future__ import annotations

import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import nats
import psycopg
import pytest
import pytest_asyncio

from rdv.embedded import EmbeddedNats, free_port
from tests.support.infra import ensure_all_streams
from tests.integration.notifications.support import SmsGateway, start_smtp
from tests.support.service import start_service

T0 = datetime.fromisoformat("2027-03-01T08:00:00+01:00")
SMS_KEY = "cle-sms-de-test"


class ServiceClock:
    """The service's RDV_NOW clock, seen from the test process."""

    def __init__(self, start: datetime):
        self.start = start
        self.anchor = time.time()

    def env(self) -> dict[str, str]:
        return {"RDV_NOW": self.start.isoformat(), "RDV_NOW_ANCHOR": str(self.anchor)}

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.anchor)


def private_nats() -> EmbeddedNats:
    server = EmbeddedNats(Path(tempfile.mkdtemp(prefix="rdv-notif-nats-")), free_port())
    server.start()
    ensure_all_streams(server.url)  # the service ensures only its own stream; the tests publish to others
    return server


@pytest.fixture(scope="module")
def nats_server():
    server = private_nats()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def smtp():
    controller, inbox = start_smtp()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture(scope="module")
def sms():
    gateway = SmsGateway(SMS_KEY)
    yield gateway
    gateway.close()


def service_env(nats_url: str, smtp_port: int, sms_url: str, clock: ServiceClock, **extra) -> dict[str, str]:
    return {"NATS_URL": nats_url, "RDV_SMTP_HOST": "127.0.0.1", "RDV_SMTP_PORT": str(smtp_port),
            "RDV_SMTP_FROM": "Département Test <rdv@test.rdv>", "RDV_SMS_PROVIDER": "http-json",
            "RDV_SMS_HTTP_URL": sms_url, "RDV_SMS_HTTP_KEY": SMS_KEY, "NOTIFICATIONS_TICK_SECONDS": "0.5",
            "NOTIFICATIONS_RETRY_BASE_SECONDS": "0.5", "NOTIFICATIONS_MAX_ATTEMPTS": "4",
            **clock.env(), **extra}


@pytest.fixture(scope="module")
def clock():
    return ServiceClock(T0)


@pytest.fixture(scope="module")
def svc(infra, nats_server, smtp, sms, clock):
    running = start_service("notifications", infra,
                            env=service_env(nats_server.url, smtp.port, sms.url, clock))
    yield running
    running.stop()


@pytest_asyncio.fixture(scope="module")
async def js(nats_server, svc):
    nc = await nats.connect(nats_server.url)
    yield nc.jetstream(timeout=5)
    await nc.drain()


def query(database_url: str, sql: str, params: dict | None = None) -> list[tuple]:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        return conn.execute(sql, params or {}).fetchall()
