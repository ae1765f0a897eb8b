"""What the notifications service answers: the messages about an RDV, the dev inbox."""
from __future__ import annotations

import uuid

from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.identity import Identity
from shared.timeutil import iso


async def rdv_notifications(*, uow: NotificationsUnitOfWork, identity: Identity, rdv_id: uuid.UUID) -> list[dict]:
    """The messages about one RDV of the caller's organisation: channel, kind, recipient, status, sent_at."""
    async with uow:
        rows = await uow.messages.of_rdv(organisation_id=identity.organisation_id, rdv_id=rdv_id)
    return [{"channel": r["channel"], "kind": r["kind"], "recipient": r["recipient"], "status": r["status"],
             "sent_at": iso(r["sent_at"], identity.timezone) if r["sent_at"] else None} for r in rows]


async def dev_inbox(*, uow: NotificationsUnitOfWork, rdv_id: uuid.UUID | None, limit: int) -> list[dict]:
    """Every SMS and email produced, newest first (dev and test only)."""
    async with uow:
        rows = await uow.messages.dev_inbox(rdv_id=rdv_id, limit=limit)
    return [{"channel": r["channel"], "to": r["to"], "subject": r["subject"], "body": r["body"],
             "attachments": list(r["attachments"]), "rdv_id": str(r["rdv_id"]) if r["rdv_id"] else None,
             "kind": r["kind"], "created_at": r["created_at"].isoformat()} for r in rows]
