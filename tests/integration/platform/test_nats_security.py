"""The bus is locked (shared.natsauth), on the real NATS the tests run against, configured as `rdv up` does:
anonymous connections and publications are refused, and a service's user publishes its own subjects only."""
from __future__ import annotations

import asyncio
import json
import socket
import uuid

import nats
import pytest
from nats.errors import NoServersError

from shared import natsauth
from shared.bus import connection_options


async def _user(infra, user: str, errors: list | None = None):
    async def on_error(exc):
        if errors is not None:
            errors.append(str(exc))

    options = connection_options(infra.nats_user_url(user))
    return await nats.connect(**options, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2,
                              error_cb=on_error)


async def _refused(errors: list[str], subject: str) -> None:
    """The server said so: a refusal is a permissions violation, not merely a request without an answer."""
    wanted = f'permissions violation for publish to "{subject}"'
    for _ in range(100):
        if any(wanted in e.lower() for e in errors):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no permissions violation for {subject}: {errors}")


async def _last_seq(infra, stream: str) -> int:
    admin = await nats.connect(infra.nats_url)
    try:
        return (await admin.jetstream().stream_info(stream)).state.last_seq
    finally:
        await admin.close()


def _envelope(subject: str) -> bytes:
    return json.dumps({"id": str(uuid.uuid4()), "type": subject, "version": 1, "data": {}}).encode()


@pytest.mark.asyncio
async def test_anonymous_and_wrong_password_connections_are_refused(infra):
    for url in (infra.nats_plain_url, infra.nats_plain_url.replace("://", "://booking:not-the-password@")):
        with pytest.raises((NoServersError, nats.errors.Error, OSError)):
            nc = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)
            await nc.close()


@pytest.mark.asyncio
async def test_an_anonymous_publish_is_refused_and_reaches_no_stream(infra):
    """At the protocol level: CONNECT without credentials, then PUB a forged RDV event."""
    before = await _last_seq(infra, "BOOKING")
    port = int(infra.nats_plain_url.rsplit(":", 1)[1])
    forged = _envelope("booking.rdv.created")

    def talk() -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.recv(4096)  # INFO
            s.sendall(b'CONNECT {"verbose":false,"pedantic":false}\r\n'
                      + f"PUB booking.rdv.created {len(forged)}\r\n".encode() + forged + b"\r\nPING\r\n")
            answer = b""
            while b"-ERR" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
            return answer

    answer = await asyncio.to_thread(talk)
    assert b"Authorization Violation" in answer, answer
    assert await _last_seq(infra, "BOOKING") == before


@pytest.mark.asyncio
async def test_a_service_publishes_its_own_subjects_only(infra):
    errors: list[str] = []
    notifications = await _user(infra, "notifications", errors)
    booking = await _user(infra, "booking")
    try:
        before = await _last_seq(infra, "BOOKING")
        # notifications forging a booking event: refused by the server, nothing stored
        with pytest.raises(Exception):
            await notifications.jetstream(timeout=0.5).publish("booking.rdv.created", _envelope("booking.rdv.created"))
        await notifications.publish("booking.rdv.created", _envelope("booking.rdv.created"))
        await notifications.flush()
        await asyncio.sleep(0)  # let the -ERR reach the error callback
        for _ in range(50):
            if any("booking.rdv.created" in e for e in errors):
                break
            await asyncio.sleep(0.05)
        assert any("permissions violation" in e.lower() and "booking.rdv.created" in e for e in errors), errors
        assert await _last_seq(infra, "BOOKING") == before
        # booking itself may (the test would see a refusal of everything as well)
        ack = await booking.jetstream(timeout=5).publish("booking.rdv.created", _envelope("booking.rdv.created"))
        assert ack.stream == "BOOKING" and ack.seq == before + 1
        # nor may a service touch another service's stream or consumers
        for subject in ("$JS.API.STREAM.DELETE.BOOKING", "$JS.API.STREAM.UPDATE.BOOKING",
                        "$JS.API.CONSUMER.MSG.NEXT.BOOKING.usagers-rdv", "directory.agent.created"):
            with pytest.raises(Exception):
                await notifications.request(subject, b"{}", timeout=0.5)
            await _refused(errors, subject.lower())
    finally:
        await notifications.close()
        await booking.close()


@pytest.mark.asyncio
async def test_a_service_cannot_read_another_users_inbox(infra):
    errors: list[str] = []
    usagers = await _user(infra, "usagers", errors)
    try:
        await usagers.subscribe(f"{natsauth.inbox_prefix('booking')}.>")
        await usagers.subscribe("_INBOX.>")
        await usagers.flush()
        for _ in range(50):
            if len([e for e in errors if "subscription" in e.lower()]) >= 2:
                break
            await asyncio.sleep(0.05)
        assert len([e for e in errors if "permissions violation for subscription" in e.lower()]) == 2, errors
    finally:
        await usagers.close()


def test_every_consumer_of_the_code_is_granted_to_its_service():
    """natsauth.CONSUMERS is what the services really consume (else a service would be refused its own)."""
    from services.availability.entrypoints.consumers import busy
    from services.booking.entrypoints.consumers import CONSUMERS as booking
    from services.notifications.entrypoints.app import consumers as notifications
    from services.reporting.entrypoints.consumers import make_consumers, public_consumer
    from services.usagers.entrypoints.consumers import consumers as usagers

    actual = {"gateway": [], "availability": [busy], "booking": booking, "usagers": usagers(),
              "notifications": notifications, "reporting": [*make_consumers(), public_consumer()]}
    assert {k: sorted((c.stream, c.name) for c in v) for k, v in actual.items()} == \
        {k: sorted(v) for k, v in natsauth.CONSUMERS.items()}
    for service, specs in actual.items():
        for spec in specs:
            assert spec.name.startswith(f"{service}-")


@pytest.mark.asyncio
async def test_the_outside_reader_reads_its_subjects_only_and_publishes_nothing(infra):
    from nats.js.api import AckPolicy, ConsumerConfig

    errors: list[str] = []
    reader = await _user(infra, natsauth.READER, errors)
    reporting = await _user(infra, "reporting")
    durable = f"team-{uuid.uuid4().hex[:8]}"
    try:
        js = reader.jetstream(timeout=3)
        # its own durable consumer on the pseudonymised RDV events: allowed, and it reads them
        await js.add_consumer("REPORTING", ConsumerConfig(name=durable, durable_name=durable,
                                                          filter_subject="reporting.rdv.>",
                                                          ack_policy=AckPolicy.EXPLICIT))
        event = _envelope("reporting.rdv.created")
        await reporting.jetstream(timeout=5).publish("reporting.rdv.created", event)
        sub = await js.pull_subscribe_bind(durable, stream="REPORTING")
        # the stream also holds what other tests of the session made reporting republish: read up to ours
        wanted, seen = json.loads(event)["id"], []
        while wanted not in seen and len(seen) < 10_000:
            msgs = await sub.fetch(100, timeout=5)
            for msg in msgs:
                seen.append(json.loads(msg.data)["id"])
                await msg.ack_sync()
        assert wanted in seen
        # nothing else: other filters, other streams, other users' consumers, the legacy API without a filter
        refused = [
            ("REPORTING", ConsumerConfig(name=f"{durable}x", durable_name=f"{durable}x",
                                         filter_subject="reporting.export.>")),
            ("REPORTING", ConsumerConfig(durable_name=f"{durable}y")),
            ("BOOKING", ConsumerConfig(name=f"{durable}z", durable_name=f"{durable}z",
                                       filter_subject="booking.rdv.>")),
            ("USAGERS", ConsumerConfig(name=f"{durable}u", durable_name=f"{durable}u",
                                       filter_subject="usagers.>")),
        ]
        for stream, config in refused:
            with pytest.raises(Exception):
                await reader.jetstream(timeout=0.5).add_consumer(stream, config)
            if config.name:
                await _refused(errors, f"$js.api.consumer.create.{stream}.{config.name}.{config.filter_subject}".lower())
            else:
                await _refused(errors, f"$js.api.consumer.durable.create.{stream}.{config.durable_name}".lower())
        for subject in ("$JS.API.CONSUMER.MSG.NEXT.BOOKING.usagers-rdv", "$JS.API.STREAM.MSG.GET.USAGERS",
                        "$JS.API.STREAM.DELETE.REPORTING", "$JS.API.CONSUMER.INFO.BOOKING.notifications-rdv"):
            with pytest.raises(Exception):
                await reader.request(subject, b"{}", timeout=0.5)
            await _refused(errors, subject.lower())
        # publishes nothing: not an event, not even the ones it reads
        before = {s: await _last_seq(infra, s) for s in ("BOOKING", "REPORTING")}
        for subject in ("booking.rdv.created", "reporting.rdv.created"):
            await reader.publish(subject, _envelope(subject))
        await reader.subscribe("booking.rdv.>")
        await reader.subscribe("usagers.>")
        await reader.flush()
        expected = ("publish to \"booking.rdv.created\"", "publish to \"reporting.rdv.created\"",
                    "subscription to \"booking.rdv.>\"", "subscription to \"usagers.>\"")
        for _ in range(100):  # the server's violations come back asynchronously, after the earlier ones
            violations = " ".join(e.lower() for e in errors)
            if all(subject in violations for subject in expected):
                break
            await asyncio.sleep(0.05)
        for subject in expected:
            assert subject in violations, errors
        assert {s: await _last_seq(infra, s) for s in ("BOOKING", "REPORTING")} == before
    finally:
        await reader.close()
        await reporting.close()
