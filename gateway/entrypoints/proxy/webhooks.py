"""Webhooks of the organisation (admins), forwarded to the notifications service, which delivers them."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from gateway.domain.model import Principal
from gateway.entrypoints.auth.dependencies import admin_principal, identity_of
from gateway.entrypoints.common import Paging
from gateway.entrypoints.proxy.forward import forward
from gateway.schemas.calendar import (WebhookCreate, WebhookCreated, WebhookDelivery, WebhookOut, WebhookPatch,
                                      WebhookTestOut)
from gateway.schemas.common import STANDARD_ERRORS, Page

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=STANDARD_ERRORS)

DELIVERY = """
Each delivery is `POST <url>` with the event envelope as JSON (its pseudonymised variant when `pseudonymised`) and
the headers `X-Rdv-Event: <event>` (`rdv.created`, …, `ping`), `X-Rdv-Delivery: <uuid>` (the same on every retry:
deduplicate on it) and `X-Rdv-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the
secret>` (refuse a `t` too far from your clock). Any 2xx is a delivery; otherwise it is retried (first retry
within 10 s, then doubling) for 24 h, after which the webhook is disabled (`active: false`) and the
organisation's admins get an email. `http://` is refused in production (422 `insecure_webhook_url`).
"""


@router.post("/webhooks", status_code=201, response_model=WebhookCreated, description=(
    "Add an endpoint that receives the chosen events, signed with the secret answered here (once).\n" + DELIVERY))
async def create_webhook(body: WebhookCreate, request: Request, principal: Principal = Depends(admin_principal)):
    """Add an endpoint that receives the chosen events, signed with the secret answered here (once)."""
    return await forward(request, "notifications", "/v1/webhooks", identity=identity_of(principal))


@router.get("/webhooks", response_model=Page[WebhookOut])
async def list_webhooks(request: Request, paging: Paging = Depends(), principal: Principal = Depends(admin_principal)):
    """The organisation's webhooks (without their secrets)."""
    return await forward(request, "notifications", "/v1/webhooks", identity=identity_of(principal))


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut)
async def patch_webhook(webhook_id: uuid.UUID, body: WebhookPatch, request: Request,
                        principal: Principal = Depends(admin_principal)):
    """Change a webhook's URL, events or payload variant; `active: true` re-enables it."""
    return await forward(request, "notifications", f"/v1/webhooks/{webhook_id}", identity=identity_of(principal))


@router.delete("/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: uuid.UUID, request: Request, principal: Principal = Depends(admin_principal)):
    """Remove a webhook; nothing more is sent to it."""
    return await forward(request, "notifications", f"/v1/webhooks/{webhook_id}", identity=identity_of(principal))


@router.post("/webhooks/{webhook_id}/test", status_code=202, response_model=WebhookTestOut)
async def test_webhook(webhook_id: uuid.UUID, request: Request, principal: Principal = Depends(admin_principal)):
    """Send a `ping` event to the webhook (delivered, signed and logged like any event)."""
    return await forward(request, "notifications", f"/v1/webhooks/{webhook_id}/test",
                         identity=identity_of(principal))


@router.get("/webhooks/{webhook_id}/deliveries", response_model=Page[WebhookDelivery])
async def webhook_deliveries(webhook_id: uuid.UUID, request: Request, paging: Paging = Depends(),
                             principal: Principal = Depends(admin_principal)):
    """The webhook's deliveries, newest first: attempts, last response code or error, when delivered."""
    return await forward(request, "notifications", f"/v1/webhooks/{webhook_id}/deliveries",
                         identity=identity_of(principal))
