"""Confirmation, change, cancellation through a real SMTP server and a real HTTP SMS gateway."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

from icalendar import Calendar

from tests.integration.notifications.conftest import T0, query
from tests.integration.notifications.support import World, mobile, wait_for
from tests.support.service import make_identity


def ics_of(msg) -> Calendar:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "rdv.ics"
    return Calendar.from_ical(part.get_content() if isinstance(part.get_content(), str)
                              else part.get_content().decode())


def dev_messages(svc, **params) -> list[dict]:
    with svc.client() as c:
        resp = c.get("/v1/dev/messages", params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()


async def test_create_move_cancel_send_three_emails_with_calendar_updates(svc, js, smtp, sms, clock):
    world = await World(js, clock.now()).setup()
    address, phone = f"u-{uuid.uuid4().hex[:8]}@example.fr", mobile()
    usager = await world.usager(email=address, phone=phone)
    start = T0 + timedelta(days=7, hours=2)  # lundi 8 mars 2027, 10 h 00 à Paris
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=start, version=1)
    await world.publish("booking.rdv.created", {"rdv": rdv, "origin": "agent"}, actor=world.actor(0))
    await wait_for(lambda: len(smtp.to(address)) == 1, message="confirmation email")

    moved = dict(rdv, version=2, starts_at=(start + timedelta(days=1, hours=2)).isoformat(),
                 ends_at=(start + timedelta(days=1, hours=2, minutes=30)).isoformat())
    await world.publish("booking.rdv.updated", {"rdv": moved, "changes": {"starts_at": [rdv["starts_at"],
                                                                                         moved["starts_at"]]}},
                        actor=world.actor(0))
    await wait_for(lambda: len(smtp.to(address)) == 2, message="change email")
    cancelled = dict(moved, version=3, status="revoked")
    await world.publish("booking.rdv.status_changed", {"rdv": cancelled, "previous_status": "unknown"},
                        actor=world.actor(0))
    emails = await wait_for(lambda: len(smtp.to(address)) == 3 and smtp.to(address), message="cancellation email")

    subjects = [m["Subject"] for m in emails]
    assert "confirmé" in subjects[0] and "modifié" in subjects[1] and "annulé" in subjects[2]
    assert "mardi 9 mars 2027" in subjects[1] and "à 12 h 00" in subjects[1]  # moved, Paris time
    calendars = [ics_of(m) for m in emails]
    events = [c.walk("VEVENT")[0] for c in calendars]
    assert [str(c["method"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({str(e["uid"]) for e in events}) == 1
    assert [int(e["sequence"]) for e in events] == [1, 2, 3]
    assert events[1].decoded("dtstart") == start + timedelta(days=1, hours=2)
    assert all(m.get_body(("html",)) is not None for m in emails)

    texts = await wait_for(lambda: len(sms.to(phone)) == 3 and [m["text"] for m in sms.to(phone)],
                           message="three SMS")
    assert "confirmé" in texts[0] and "modifié" in texts[1] and "annulé" in texts[2]
    assert all(len(t) <= 160 and "PMI" in t or "Protection" in t for t in texts)
    assert "12 rue de Belleville" in texts[0] and "01 40 00 00 01" in texts[0]

    # The other agent of the RDV is told (with .ics); the one who did it is not.
    other, actor = world.agent_emails[1], world.agent_emails[0]
    agent_mails = await wait_for(lambda: len(smtp.to(other)) == 3 and smtp.to(other), message="agent emails")
    assert [str(ics_of(m)["method"]) for m in agent_mails] == ["REQUEST", "REQUEST", "CANCEL"]
    assert smtp.to(actor) == []

    # Dev inbox (RDV_ENV=test): every message, newest first; the RDV's notifications for its organisation.
    inbox = await wait_for(lambda: len(dev_messages(svc, rdv_id=rdv["id"])) == 9
                           and dev_messages(svc, rdv_id=rdv["id"]), message="dev inbox")
    assert inbox[0]["kind"] == "cancellation" and inbox[-1]["kind"] == "confirmation"
    assert {m["channel"] for m in inbox} == {"sms", "email"}
    assert [m["attachments"] for m in inbox if m["channel"] == "email"][0] == ["rdv.ics"]
    with svc.client(make_identity(organisation_id=world.org_id)) as c:
        listed = c.get(f"/v1/rdvs/{rdv['id']}/notifications").json()
    assert len(listed) == 9 and all(n["status"] == "sent" and n["sent_at"] for n in listed)
    assert {(n["channel"], n["kind"]) for n in listed if n["recipient"] == phone} == {
        ("sms", "confirmation"), ("sms", "change"), ("sms", "cancellation")}
    with svc.client(make_identity()) as c:  # another organisation sees nothing
        assert c.get(f"/v1/rdvs/{rdv['id']}/notifications").json() == []
    with svc.client() as c:  # no identity: refused
        assert c.get(f"/v1/rdvs/{rdv['id']}/notifications").status_code == 401


async def test_opt_outs_landlines_and_relatives(svc, js, smtp, sms, clock):
    world = await World(js, clock.now()).setup()
    no_sms_mail, no_sms_phone = f"nosms-{uuid.uuid4().hex[:6]}@example.fr", mobile()
    no_mail_mail, no_mail_phone = f"nomail-{uuid.uuid4().hex[:6]}@example.fr", mobile()
    parent_mail, parent_phone = f"parent-{uuid.uuid4().hex[:6]}@example.fr", mobile()
    no_sms = await world.usager(email=no_sms_mail, phone=no_sms_phone, sms=False)
    no_mail = await world.usager(email=no_mail_mail, phone=no_mail_phone, mail=False)
    landline = await world.usager(phone="+33140000099")
    parent = await world.usager(email=parent_mail, phone=parent_phone)
    child = await world.usager(responsible_id=uuid.UUID(parent["id"]))  # no contacts: through the parent
    teen_mail = f"teen-{uuid.uuid4().hex[:6]}@example.fr"
    teen = await world.usager(email=teen_mail, responsible_id=uuid.UUID(parent["id"]))  # reached directly
    rdv = world.rdv(usager_ids=[no_sms["id"], no_mail["id"], landline["id"], child["id"], teen["id"]],
                    starts_at=clock.now() + timedelta(days=5))
    await world.publish("booking.rdv.created", {"rdv": rdv}, actor=world.actor(0))
    await wait_for(lambda: len(dev_messages(svc, rdv_id=rdv["id"])) == 6, message="6 messages")
    got = {(m["channel"], m["to"]) for m in dev_messages(svc, rdv_id=rdv["id"])}
    assert got == {("email", no_sms_mail), ("sms", no_mail_phone), ("email", parent_mail),
                   ("sms", parent_phone), ("email", teen_mail), ("email", world.agent_emails[1])}
    assert sms.to(no_sms_phone) == [] and smtp.to(no_mail_mail) == [] and sms.to("+33140000099") == []


async def test_same_event_delivered_twice_sends_once(svc, js, smtp, sms, clock):
    world = await World(js, clock.now()).setup()
    address, phone = f"dup-{uuid.uuid4().hex[:8]}@example.fr", mobile()
    usager = await world.usager(email=address, phone=phone)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=clock.now() + timedelta(days=3), agent_ids=[])
    first = await world.publish("booking.rdv.created", {"rdv": rdv})
    # The same envelope again, past JetStream's duplicate window (another Nats-Msg-Id).
    from shared.events import Envelope
    copy = Envelope.model_validate_json(first.to_json())
    await js.publish(copy.type, copy.to_json(), headers={"Nats-Msg-Id": f"again-{copy.id}"})
    # A later event on the same consumer: once it is applied, the copy has been handled too.
    marker_usager = await world.usager(email=f"marker-{uuid.uuid4().hex[:6]}@example.fr")
    marker = world.rdv(usager_ids=[marker_usager["id"]], starts_at=clock.now() + timedelta(days=3), agent_ids=[])
    await world.publish("booking.rdv.created", {"rdv": marker})
    await wait_for(lambda: dev_messages(svc, rdv_id=marker["id"]), message="marker")
    await wait_for(lambda: len(sms.to(phone)) == 1 and len(smtp.to(address)) == 1, message="one of each")
    assert len(dev_messages(svc, rdv_id=rdv["id"])) == 2
    assert query(svc.database_url, "select count(*) from messages where rdv_id = %(r)s",
                 {"r": rdv["id"]}) == [(2,)]


async def test_rdv_before_its_usager_and_lieu_waits_for_them(svc, js, smtp, clock):
    world = await World(js, clock.now()).setup(catalogue=False)
    address = f"late-{uuid.uuid4().hex[:8]}@example.fr"
    usager = await world.usager(email=address, publish=False)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=clock.now() + timedelta(days=4), agent_ids=[])
    await world.publish("booking.rdv.created", {"rdv": rdv})
    await world.publish("usagers.usager.created", {"usager": usager})
    await world.publish_lieu()
    (mail,) = await wait_for(lambda: smtp.to(address), timeout=30, message="email once projections arrived")
    assert "12 rue de Belleville" in mail.get_body(("plain",)).get_content()


async def test_provider_down_then_up_sends_once(svc, js, smtp, sms, clock):
    world = await World(js, clock.now()).setup()
    address, phone = f"down-{uuid.uuid4().hex[:8]}@example.fr", mobile()
    smtp.down.add(address)
    sms.down.add(phone)
    receipts = await js.subscribe("notifications.message.*", ordered_consumer=True)
    usager = await world.usager(email=address, phone=phone)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=clock.now() + timedelta(days=3), agent_ids=[])
    await world.publish("booking.rdv.created", {"rdv": rdv})
    await wait_for(lambda: smtp.refused[address] >= 1 and sms.refused[phone] >= 1, message="first failures")
    with svc.client(make_identity(organisation_id=world.org_id)) as c:
        assert {n["status"] for n in c.get(f"/v1/rdvs/{rdv['id']}/notifications").json()} == {"pending"}
    smtp.down.discard(address)
    sms.down.discard(phone)
    await wait_for(lambda: len(smtp.to(address)) == 1 and len(sms.to(phone)) == 1, message="sent after retry")
    with svc.client(make_identity(organisation_id=world.org_id)) as c:
        await wait_for(lambda: {n["status"] for n in c.get(f"/v1/rdvs/{rdv['id']}/notifications").json()}
                       == {"sent"}, message="status sent")
    assert len(smtp.to(address)) == 1 and len(sms.to(phone)) == 1
    sent = {}
    while len(sent) < 2:
        body = json.loads((await receipts.next_msg(timeout=30)).data)
        message = body["data"]["message"]
        if message["rdv_id"] == rdv["id"]:
            assert body["type"] == "notifications.message.sent" and message["id"] not in sent
            sent[message["id"]] = message
    await receipts.unsubscribe()
    assert sorted(m["channel"] for m in sent.values()) == ["email", "sms"]
    assert all(m["attempt"] >= 2 and m["kind"] == "confirmation" for m in sent.values())


async def test_provider_down_for_good_marks_failed_and_publishes_it(svc, js, sms, clock):
    world = await World(js, clock.now()).setup()
    phone = mobile()
    sms.down.add(phone)
    sub = await js.subscribe("notifications.message.*", ordered_consumer=True)
    usager = await world.usager(phone=phone)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=clock.now() + timedelta(days=3), agent_ids=[])
    await world.publish("booking.rdv.created", {"rdv": rdv})
    while True:
        msg = await sub.next_msg(timeout=30)
        body = json.loads(msg.data)
        if body["data"]["message"]["rdv_id"] == rdv["id"]:
            break
    assert body["type"] == "notifications.message.failed"
    message = body["data"]["message"]
    assert message["channel"] == "sms" and message["kind"] == "confirmation" and message["attempt"] == 4
    assert message["recipient_masked"] != phone and message["recipient_masked"].endswith(phone[-2:])
    assert message["usager_id"] == usager["id"] and message["agent_id"] is None
    assert sms.refused[phone] == 4
    await sub.unsubscribe()
    with svc.client(make_identity(organisation_id=world.org_id)) as c:
        (listed,) = c.get(f"/v1/rdvs/{rdv['id']}/notifications").json()
    assert listed == {"channel": "sms", "kind": "confirmation", "recipient": phone, "status": "failed",
                      "sent_at": None}


async def test_a_refused_recipient_fails_at_once(svc, js, smtp, sms, clock):
    world = await World(js, clock.now()).setup()
    address, phone = f"inconnu-{uuid.uuid4().hex[:8]}@example.fr", mobile()
    smtp.unknown.add(address)  # 550: permanent
    sms.invalid.add(phone)  # 400: permanent
    usager = await world.usager(email=address, phone=phone)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=clock.now() + timedelta(days=3), agent_ids=[])
    await world.publish("booking.rdv.created", {"rdv": rdv})
    with svc.client(make_identity(organisation_id=world.org_id)) as c:
        await wait_for(lambda: [n["status"] for n in c.get(f"/v1/rdvs/{rdv['id']}/notifications").json()]
                       == ["failed", "failed"], message="both failed")
    assert smtp.refused[address] == 1 and sms.refused[phone] == 1
    assert query(svc.database_url, "select attempts from messages where rdv_id = %(r)s", {"r": rdv["id"]}) == [
        (1,), (1,)]


async def test_anonymized_usager_is_forgotten(svc, js, smtp, clock):
    world = await World(js, clock.now()).setup()
    address = f"rgpd-{uuid.uuid4().hex[:8]}@example.fr"
    usager = await world.usager(email=address)
    rdv = world.rdv(usager_ids=[usager["id"]], starts_at=clock.now() + timedelta(days=3))
    await world.publish("booking.rdv.created", {"rdv": rdv})
    await wait_for(lambda: smtp.to(address) and smtp.to(world.agent_emails[1]), message="emails")
    await world.publish("usagers.usager.anonymized", {"usager_id": usager["id"]})
    await wait_for(lambda: query(svc.database_url, "select anonymized, email from usagers where id = %(u)s",
                                 {"u": usager["id"]}) == [(True, None)], message="anonymized")
    assert query(svc.database_url, "select count(*) from messages where rdv_id = %(r)s and "
                 "(recipient = %(a)s or body like %(n)s)", {"r": rdv["id"], "a": address, "n": "%Élodie%"}) == [(0,)]
    # the usager and both agents
    assert query(svc.database_url, "select count(*) from messages where rdv_id = %(r)s", {"r": rdv["id"]}) == [(3,)]
    assert dev_messages(svc, rdv_id=rdv["id"]) == []
    # Later events about that RDV send nothing to that person.
    moved = dict(rdv, version=2, starts_at=(clock.now() + timedelta(days=4)).isoformat(),
                 ends_at=(clock.now() + timedelta(days=4, minutes=30)).isoformat())
    await world.publish("booking.rdv.updated", {"rdv": moved, "changes": {"starts_at": ["a", "b"]}})
    await wait_for(lambda: query(svc.database_url, "select version from rdvs where id = %(r)s",
                                 {"r": rdv["id"]}) == [(2,)], message="update applied")
    assert len(smtp.to(address)) == 1
