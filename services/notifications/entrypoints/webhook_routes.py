"""HTTP routes of webhooks (admins of the identity's organisation; the gateway checks it first too)."""
from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from services.notifications.domain.webhooks import EVENTS
from services.notifications.service_layer import webhooks
from services.notifications.entrypoints.routes import new_uow
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared.identity import Identity, current_identity
from shared.service import get_runtime

router = APIRouter()
Event = Literal[EVENTS]  # type: ignore[valid-type]


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2000)
    events: list[Event] = Field(min_length=1, max_length=len(EVENTS))
    pseudonymised: StrictBool = False


class WebhookChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(default=None, min_length=8, max_length=2000)
    events: list[Event] = Field(default=None, min_length=1, max_length=len(EVENTS))
    pseudonymised: StrictBool = None
    active: StrictBool = None


def _admin(identity: Identity = Depends(current_identity)) -> Identity:
    identity.require_admin()
    return identity


def _production(request: Request) -> bool:
    return get_runtime(request).settings.env == "production"


@router.post("/v1/webhooks", status_code=201)
async def create_webhook(body: WebhookIn, request: Request, identity: Identity = Depends(_admin),
                         uow: NotificationsUnitOfWork = Depends(new_uow)):
    return await webhooks.create(uow, identity, url=body.url, events=list(body.events),
                                 pseudonymised=body.pseudonymised, production=_production(request))


@router.get("/v1/webhooks")
async def list_webhooks(request: Request, page: int = Query(1, ge=1, le=100_000),
                        per_page: int = Query(50, ge=1, le=200), identity: Identity = Depends(_admin),
                        uow: NotificationsUnitOfWork = Depends(new_uow)):
    return await webhooks.listing(uow, identity, page=page, per_page=per_page)


@router.patch("/v1/webhooks/{webhook_id}")
async def patch_webhook(webhook_id: uuid.UUID, body: WebhookChange, request: Request,
                        identity: Identity = Depends(_admin),
                        uow: NotificationsUnitOfWork = Depends(new_uow)):
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return await webhooks.change(uow, identity, webhook_id, changes,
                                 production=_production(request))


@router.delete("/v1/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: uuid.UUID, request: Request, identity: Identity = Depends(_admin),
                         uow: NotificationsUnitOfWork = Depends(new_uow)):
    await webhooks.remove(uow, identity, webhook_id)
    return Response(status_code=204)


@router.post("/v1/webhooks/{webhook_id}/test", status_code=202)
async def test_webhook(webhook_id: uuid.UUID, request: Request, identity: Identity = Depends(_admin),
                       uow: NotificationsUnitOfWork = Depends(new_uow)):
    return await webhooks.ping(uow, identity, webhook_id)


@router.get("/v1/webhooks/{webhook_id}/deliveries")
async def webhook_deliveries(webhook_id: uuid.UUID, request: Request, page: int = Query(1, ge=1, le=100_000),
                             per_page: int = Query(50, ge=1, le=200), identity: Identity = Depends(_admin),
                             uow: NotificationsUnitOfWork = Depends(new_uow)):
    return await webhooks.deliveries(uow, identity, webhook_id, page=page, per_page=per_page)
