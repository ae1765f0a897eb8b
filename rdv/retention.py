"""`rdv retention run`: the RGPD retention passes of booking and usagers, once, from the command line.

Booking deletes the RDVs ended more than 2 years ago (publishing `booking.rdv.purged` through its
outbox, which the running service relays), then usagers anonymises the usagers without an RDV for
2 years, and the gateway deletes the stored Idempotency-Key responses past their validity. Each part
runs when its `<SERVICE>_DATABASE_URL` is set. `--as-of` (tests, rehearsals)
replaces "now" and is refused in production, like RDV_NOW.
"""
from __future__ import annotations

import asyncio
from datetime import datetime

from shared.db import Database
from shared.settings import PlatformSettings, ProcessSettings


def parse_as_of(raw: str | None) -> datetime | None:
    if not raw:
        return None
    if PlatformSettings().production:
        raise SystemExit("--as-of est refusé en production")
    instant = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise SystemExit("--as-of doit porter un décalage horaire (ex. 2029-03-03T09:00:00+01:00)")
    return instant


async def run(as_of: datetime | None = None) -> dict[str, int]:
    from services.booking.service_layer.retention import purge_expired_rdvs
    from services.usagers.entrypoints.retention import anonymise_expired

    done: dict[str, int] = {}
    for service, job, key in (("booking", purge_expired_rdvs, "rdvs_purged"),
                              ("usagers", anonymise_expired, "usagers_anonymized")):
        url = ProcessSettings.of(service).database_url
        if not url:
            continue
        db = Database(url)
        try:
            done[key] = await job(db=db, as_of=as_of)
        finally:
            await db.dispose()
    url = ProcessSettings.of("gateway").database_url
    if url:
        from gateway.config import GatewaySettings
        from gateway.retention import purge_idempotency_keys

        db = Database(url)
        try:
            done["idempotency_responses_deleted"] = await purge_idempotency_keys(
                db=db, ttl_hours=GatewaySettings().idempotency_ttl_hours, as_of=as_of)
        finally:
            await db.dispose()
    return done


def main(as_of_text: str | None = None) -> int:
    if not any(ProcessSettings.of(service).database_url for service in ("booking", "usagers")):
        raise SystemExit("BOOKING_DATABASE_URL ou USAGERS_DATABASE_URL manquant")
    done = asyncio.run(run(parse_as_of(as_of_text)))
    for key, count in done.items():
        print(f"{key}: {count}")
    return 0
