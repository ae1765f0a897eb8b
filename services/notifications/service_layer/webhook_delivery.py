"""Webhook deliveries: signed POSTs, retried with backoff, logged; a webhook whose delivery still fails
`webhook_retry_horizon_seconds` after its event is disabled and the organisation's admins get an email.

A round claims the due deliveries (FOR UPDATE SKIP LOCKED: two replicas never send one at once), sends them
at once (each waits at most `webhook_timeout_seconds`), and records every outcome in the same transaction.
A crash before that commit sends the round again with the same X-Rdv-Delivery ids, which receivers dedup
on: from their point of view, each event reaches each webhook once. A `ping` is tried once."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx

from services.notifications.config import NotificationsSettings
from services.notifications.domain.webhooks import PING, next_attempt, signature
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork
from shared import clock

log = logging.getLogger("rdv.notifications.webhooks")
USER_AGENT = "rdv-webhooks/1"


@dataclass
class Attempt:
    ok: bool
    status_code: int | None
    error: str | None


async def deliver_round(uow: NotificationsUnitOfWork, client: httpx.AsyncClient,
                        settings: NotificationsSettings) -> int:
    """Send the due deliveries once; return how many were claimed."""
    now = clock.now()
    async with uow:
        claimed = await uow.webhooks.claim(now=now, limit=max(settings.webhook_senders, 1))
        if not claimed:
            return 0
        results = await asyncio.gather(*(_attempt(client, row, settings) for row in claimed))
        for row, result in zip(claimed, results):
            await _record(uow, row, result, now=now, settings=settings)
        await uow.commit()
    return len(claimed)


async def next_due(uow: NotificationsUnitOfWork) -> datetime | None:
    """When the next delivery falls due (None: none pending)."""
    async with uow:
        return await uow.webhooks.next_due()


async def _attempt(client: httpx.AsyncClient, row, settings: NotificationsSettings) -> Attempt:
    body = row.body.encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "X-Rdv-Event": row.event, "X-Rdv-Delivery": str(row.id),
               "X-Rdv-Signature": signature(row.secret, int(time.time()), body)}
    try:
        async with client.stream("POST", row.url, content=body, headers=headers,
                                 timeout=settings.webhook_timeout_seconds) as resp:
            code = resp.status_code  # the answer's body is not read
    except httpx.TimeoutException:
        return Attempt(False, None, f"délai dépassé ({settings.webhook_timeout_seconds:g} s)")
    except httpx.HTTPError as exc:
        return Attempt(False, None, f"connexion impossible ({type(exc).__name__})")
    except Exception as exc:  # never lose an outcome
        log.warning("webhook delivery %s: %r", row.id, exc)
        return Attempt(False, None, f"erreur ({type(exc).__name__})")
    if 200 <= code < 300:
        return Attempt(True, code, None)
    return Attempt(False, code, f"réponse HTTP {code}")


async def _record(uow: NotificationsUnitOfWork, row, result: Attempt, *, now: datetime,
                  settings: NotificationsSettings) -> None:
    attempt = row.attempts + 1
    history = list(row.history) + [{"attempt": attempt, "at": now.isoformat(), "status_code": result.status_code,
                                    "error": result.error}]
    values = {"attempts": attempt, "status_code": result.status_code, "error": result.error,
              "history": history}
    if result.ok:
        values.update(status="delivered", delivered_at=now)
    else:
        retry = None if row.event == PING else next_attempt(
            attempts=attempt, created_at=row.created_at, now=now, base=settings.webhook_retry_base_seconds,
            horizon=settings.webhook_retry_horizon_seconds)
        if retry is not None:
            values.update(next_attempt_at=retry)
        else:
            values.update(status="failed")
    await uow.webhooks.record(row.id, values)
    if not result.ok and values.get("status") == "failed" and row.event != PING:
        await disable(uow, row, now=now, reason=result.error or "")


async def disable(uow: NotificationsUnitOfWork, row, *, now: datetime, reason: str) -> None:
    """Disable the webhook (once), fail its other pending deliveries, and email the organisation's admins."""
    url = await uow.webhooks.disable(row.webhook_id, now=now)
    if url is None:
        return
    log.warning("webhook %s disabled after failing for %s", row.webhook_id, row.created_at)
    admins = await uow.webhooks.admins(organisation_id=row.organisation_id, fallback=row.created_by)
    org = await uow.webhooks.organisation_name(row.organisation_id)
    subject = "Webhook désactivé après des échecs répétés"
    body = (f"Bonjour,\n\nLe webhook {url} de l'organisation {org or ''} a été désactivé : un événement "
            f"du {row.created_at.strftime('%d/%m/%Y à %H:%M')} (UTC) n'a pas pu lui être livré malgré les "
            f"nouvelles tentatives (dernière erreur : {reason}).\n\nAucun autre événement ne lui sera envoyé. "
            "Une fois le service destinataire rétabli, réactivez le webhook dans Administration > Webhooks, "
            "où le journal des livraisons donne les codes de réponse reçus.\n\n-- rdv (message automatique)\n")
    cause = uuid.uuid4()
    rows = [{"id": uuid.uuid4(), "organisation_id": row.organisation_id, "rdv_id": None, "usager_id": None,
             "agent_id": a.id, "cause_id": cause, "channel": "email", "kind": "webhook_disabled",
             "recipient": a.email, "subject": subject, "body": body, "html": None, "attachments": [],
             "status": "pending", "attempts": 0, "next_attempt_at": now, "rdv_starts_at": None, "created_at": now}
            for a in admins]
    if rows:
        await uow.webhooks.queue_emails(rows)


def client() -> httpx.AsyncClient:
    """The outgoing client: no redirects followed, no proxy from the environment, pooled connections."""
    return httpx.AsyncClient(follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_connections=64, max_keepalive_connections=16))

