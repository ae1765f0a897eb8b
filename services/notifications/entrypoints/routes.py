"""HTTP routes: an RDV's notifications (agents, through the gateway) and the dev inbox."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from services.notifications.adapters import tables as t
from shared.errors import NotFound
from shared.identity import Identity, current_identity
from shared.service import get_runtime
from shared.timeutil import iso

router = APIRouter()


@router.get("/v1/rdvs/{rdv_id}/notifications")
async def rdv_notifications(rdv_id: uuid.UUID, request: Request, identity: Identity = Depends(current_identity)):
    """List the messages about one RDV: channel, kind, recipient, status, sent_at."""
    runtime = get_runtime(request)
    m = t.messages
    async with runtime.db.engine.connect() as conn:
        rows = (await conn.execute(
            select(m.c.channel, m.c.kind, m.c.recipient, m.c.status, m.c.sent_at)
            .where(m.c.rdv_id == rdv_id, m.c.organisation_id == identity.organisation_id,
                   m.c.status != "cancelled")
            .order_by(m.c.created_at, m.c.channel, m.c.recipient))).mappings().all()
    return [{"channel": r["channel"], "kind": r["kind"], "recipient": r["recipient"], "status": r["status"],
             "sent_at": iso(r["sent_at"], identity.timezone) if r["sent_at"] else None} for r in rows]


@router.get("/v1/dev/messages")
async def dev_messages(request: Request, rdv_id: uuid.UUID | None = None,
                       limit: int = Query(default=200, ge=1, le=1000)):
    """List every SMS and email produced, newest first (dev and test only)."""
    runtime = get_runtime(request)
    if not runtime.settings.dev_inbox:
        raise NotFound()
    d = t.dev_messages
    query = select(d).order_by(d.c.created_at.desc(), d.c.id).limit(limit)
    if rdv_id:
        query = query.where(d.c.rdv_id == rdv_id)
    async with runtime.db.engine.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [{"channel": r["channel"], "to": r["to"], "subject": r["subject"], "body": r["body"],
             "attachments": list(r["attachments"]), "rdv_id": str(r["rdv_id"]) if r["rdv_id"] else None,
             "kind": r["kind"], "created_at": r["created_at"].isoformat()} for r in rows]
