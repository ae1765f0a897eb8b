"""What an SMTP server and a mail reader see of our emails: ESMTP parameters (RFC 6152 8BITMIME,
RFC 6531 SMTPUTF8), a 7-bit message for a server without 8BITMIME, a Date with a real offset,
Auto-Submitted (RFC 3834). Parsed with the standard `email` package, recorded by aiosmtpd."""
from __future__ import annotations

import asyncio
import email
import uuid
from datetime import timedelta, timezone
from email import policy
from email.utils import parsedate_to_datetime

import pytest

from services.notifications.adapters.senders import DeliveryRefused, Outgoing, SmtpSender
from services.notifications.config import NotificationsSettings
from tests.integration.notifications.conftest import T0, query
from tests.integration.notifications.support import World, start_smtp, wait_for

FRENCH = "Votre rendez-vous est confirmé : lundi 8 mars à 10 h 00, Maison des solidarités — à bientôt."


def _check_headers(mail) -> None:
    sent = parsedate_to_datetime(mail["Date"])
    assert sent.tzinfo is not None and not mail["Date"].endswith("-0000")  # a known zone
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["List-Unsubscribe"] is None  # a transactional message, not a list
    assert mail["Message-ID"].startswith("<") and mail["Message-ID"].endswith("@rdv>")


async def test_the_service_declares_8bitmime_for_its_8bit_text(svc, js, smtp, clock):
    world = await World(js, clock.now()).setup()
    address = f"u-{uuid.uuid4().hex[:8]}@example.fr"
    usager = await world.usager(email=address)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=T0 + timedelta(days=7, hours=2), version=1)
    await world.publish("booking.rdv.created", {"rdv": rdv, "origin": "agent"}, actor=world.actor(0))
    (mail,) = await wait_for(lambda: smtp.to(address), message="confirmation email")

    _check_headers(mail)
    assert abs(parsedate_to_datetime(mail["Date"]) - clock.now()) < timedelta(minutes=1)  # the service's clock
    text = mail.get_body(("plain",))
    assert text["Content-Transfer-Encoding"] == "8bit" and "confirmé" in text.get_content()
    options = smtp.mail_options[mail["Message-ID"]]
    assert "BODY=8BITMIME" in options and "SMTPUTF8" not in options  # ASCII addresses need no SMTPUTF8
    assert not smtp.raw[mail["Message-ID"]].isascii()
    assert mail["Reply-To"] is None  # the organisation has no contact address


async def test_replies_go_to_the_organisations_contact_address(svc, js, smtp, clock):
    world = await World(js, clock.now()).setup()
    contact = f"accueil-{uuid.uuid4().hex[:6]}@mairie.example"
    await world.publish("directory.organisation.updated", {"organisation": {
        "id": str(world.org_id), "name": "Département Test", "slug": f"t-{world.org_id.hex[:6]}",
        "timezone": "Europe/Paris", "holiday_zone": "metropole", "publish_online": False, "contact_email": contact}})
    await wait_for(lambda: query(svc.database_url, "select contact_email from organisations where id = %(id)s",
                                 {"id": world.org_id}) == [(contact,)], message="contact address known")
    address = f"u-{uuid.uuid4().hex[:8]}@example.fr"
    usager = await world.usager(email=address)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=T0 + timedelta(days=7, hours=2), version=1)
    await world.publish("booking.rdv.created", {"rdv": rdv, "origin": "agent"}, actor=world.actor(0))
    (mail,) = await wait_for(lambda: smtp.to(address), message="confirmation email")
    assert mail["Reply-To"] == contact and str(mail["From"]) == "Département Test <rdv@test.rdv>"


def _sender(port: int) -> SmtpSender:
    return SmtpSender(NotificationsSettings(smtp_host="127.0.0.1", smtp_port=port,
                                            smtp_from="Département Test <rdv@test.rdv>"))


def _outgoing(to: str) -> Outgoing:
    return Outgoing(channel="email", to=to, subject="Votre RDV du lundi 8 mars est confirmé", body=FRENCH,
                    html=f"<p>{FRENCH}</p>", attachments=[{"filename": "rdv.ics", "content_type": "text/calendar",
                                                           "method": "REQUEST", "content": "BEGIN:VCALENDAR\r\n"
                                                           "SUMMARY:Réunion\r\nEND:VCALENDAR\r\n"}],
                    message_id=str(uuid.uuid4()), reply_to="Accueil <accueil@mairie.example>")


@pytest.fixture
def seven_bit_server():
    controller, inbox = start_smtp(decode_data=True)  # aiosmtpd then offers no 8BITMIME
    yield controller, inbox
    controller.stop()


def test_a_server_without_8bitmime_gets_a_7bit_message(seven_bit_server):
    controller, inbox = seven_bit_server
    asyncio.run(_sender(controller.port).send(_outgoing("usager@example.fr")))
    ((_, mail),) = inbox.messages
    assert [o for o in inbox.mail_options[mail["Message-ID"]] if not o.startswith("SIZE=")] == []  # no BODY=
    assert inbox.raw[mail["Message-ID"]].isascii()
    _check_headers(mail)
    assert mail["Reply-To"] == "Accueil <accueil@mairie.example>"
    assert str(mail["From"]) == "Département Test <rdv@test.rdv>"  # RFC 2047 words, decoded back
    assert mail.get_body(("plain",))["Content-Transfer-Encoding"] == "quoted-printable"
    assert mail.get_body(("plain",)).get_content().rstrip("\r\n") == FRENCH  # CRLF: the lines as on the wire
    assert FRENCH in mail.get_body(("html",)).get_content()
    calendar = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert "SUMMARY:Réunion" in calendar.get_content() and calendar.get_param("method") == "REQUEST"
    # the package reads the raw bytes the same way
    again = email.message_from_bytes(inbox.raw[mail["Message-ID"]], policy=policy.default)
    assert again.get_body(("plain",)).get_content() == mail.get_body(("plain",)).get_content()


def test_an_international_address_goes_with_smtputf8_or_not_at_all():
    controller, inbox = start_smtp()  # aiosmtpd's controller offers SMTPUTF8 by default
    try:
        asyncio.run(_sender(controller.port).send(_outgoing("chloé@exemple.fr")))
    finally:
        controller.stop()
    ((rcpts, mail),) = inbox.messages
    assert rcpts == ["chloé@exemple.fr"] and mail["To"] == "chloé@exemple.fr"
    assert {"BODY=8BITMIME", "SMTPUTF8"} <= set(inbox.mail_options[mail["Message-ID"]])

    controller, inbox = start_smtp(enable_SMTPUTF8=False)  # refused for good, never mangled
    try:
        with pytest.raises(DeliveryRefused, match="SMTPUTF8"):
            asyncio.run(_sender(controller.port).send(_outgoing("chloé@exemple.fr")))
    finally:
        controller.stop()
    assert inbox.messages == []


def test_the_date_is_the_clock_with_its_offset():
    mail = _sender(25).build(_outgoing("a@example.fr"), now=T0)
    assert mail["Date"] == "Mon, 01 Mar 2027 08:00:00 +0100"
    assert parsedate_to_datetime(mail["Date"]).astimezone(timezone.utc) == T0.astimezone(timezone.utc)
