"""`booking-catalog`: motifs and lieux known from availability's events, applied once per event."""
from __future__ import annotations

import uuid

from sqlalchemy import text

from services.booking.entrypoints.consumers import CONSUMERS
from services.booking.service_layer.unit_of_work import BookingUnitOfWork
from shared.db import Database
from shared.events import new_event
from shared.inbox import ConsumerRunner


async def test_motif_and_lieu_events_upsert_then_mark_deleted(infra):
    db = Database(infra.migrated_database("booking"), unit_of_work=BookingUnitOfWork)
    runner = ConsumerRunner(db, None, CONSUMERS[0])
    org = uuid.uuid4()
    motif = {"id": str(uuid.uuid4()), "name": "Consultation", "service_id": str(uuid.uuid4()),
             "duration_minutes": 30, "location_type": "public_office", "color": None, "reservable_online": False,
             "min_booking_delay_minutes": 30, "max_booking_delay_days": 90}
    created = new_event("availability.motif.created", organisation_id=org, data={"motif": motif})
    renamed = new_event("availability.motif.updated", organisation_id=org,
                        data={"motif": {**motif, "name": "Consultation PMI"}})
    lieu = {"id": str(uuid.uuid4()), "name": "Mairie", "address": "1 place", "phone": None}
    assert await runner.apply(created) and await runner.apply(renamed)
    assert not await runner.apply(created)  # a redelivery is applied once
    assert await runner.apply(new_event("availability.lieu.created", organisation_id=org, data={"lieu": lieu}))
    assert await runner.apply(new_event("availability.lieu.deleted", organisation_id=org, data={"lieu": lieu}))
    async with db.uow(autocommit=True) as uow:
        row = (await uow.execute(text("select data, deleted from motifs where id = :i"), {"i": motif["id"]})).one()
        assert row.data["name"] == "Consultation PMI" and not row.deleted
        assert (await uow.execute(text("select deleted from lieux where id = :i"), {"i": lieu["id"]})).scalar()
    await db.dispose()
