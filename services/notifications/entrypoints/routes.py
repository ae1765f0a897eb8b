"""HTTP routes: an RDV's notifications (agents, through the gateway) and the dev inbox."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request

from services.notifications.service_layer import queries
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.errors import NotFound
from shared.identity import Identity, current_identity
from shared.service import get_runtime

router = APIRouter()


def new_uow(request: Request) -> NotificationsUnitOfWork:
    return get_runtime(request).db.uow()


@router.get("/v1/rdvs/{rdv_id}/notifications")
async def rdv_notifications(rdv_id: uuid.UUID, identity: Identity = Depends(current_identity),
                            uow: NotificationsUnitOfWork = Depends(new_uow)):
    """List the messages about one RDV: channel, kind, recipient, status, sent_at."""
    return await queries.rdv_notifications(uow=uow, identity=identity, rdv_id=rdv_id)


@router.get("/v1/dev/messages")
async def dev_messages(request: Request, rdv_id: uuid.UUID | None = None,
                       limit: int = Query(default=200, ge=1, le=1000),
                       uow: NotificationsUnitOfWork = Depends(new_uow)):
    """List every SMS and email produced, newest first (dev and test only)."""
    if not get_runtime(request).settings.dev_inbox:
        raise NotFound()
    return await queries.dev_inbox(uow=uow, rdv_id=rdv_id, limit=limit)
