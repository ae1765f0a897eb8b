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
from sqlalchemy import and_, select, text, update
from sqlalchemy.dialects.postgresql import insert

from services.notifications.adapters import tables as t
from services.notifications.adapters.repository import DUE_CHANNEL as MESSAGES_DUE
from services.notifications.config import NotificationsSettings
from services.notifications.domain.webhooks import PING, next_attempt, signature
from shared import clock
from shared.db import Database

log = logging.getLogger("rdv.notifications.webhooks")
w, d = t.webhooks, t.webhook_deliveries

_CLAIM = text("""
select d.id, d.webhook_id, d.organisation_id, d.event, d.body, d.attempts, d.created_at, d.history,
  w.url, w.secret, w.created_by
from webhook_deliveries as d join webhooks as w on w.id = d.webhook_id
where d.status = 'pending' and d.next_attempt_at <= :now and (w.active or d.event = 'ping')
order by d.next_attempt_at limit :n for update of d skip locked""")
_NEXT_DUE = text("""
select min(d.next_attempt_at) from webhook_deliveries as d join webhooks as w on w.id = d.webhook_id
where d.status = 'pending' and (w.active or d.event = 'ping')""")
USER_AGENT = "rdv-webhooks/1"


@dataclass
class Attempt:
    ok: bool
    status_code: int | None
    error: str | None


async def deliver_round(db: Database, client: httpx.AsyncClient, settings: NotificationsSettings) -> int:
    """Send the due deliveries once; return how many were claimed."""
    now = clock.now()
    async with db.uow() as uow:
        claimed = (await uow.execute(_CLAIM, {"now": now, "n": max(settings.webhook_senders, 1)})).all()
        if not claimed:
            return 0
        results = await asyncio.gather(*(_attempt(client, row, settings) for row in claimed))
        for row, result in zip(claimed, results):
            await _record(uow, row, result, now=now, settings=settings)
        await uow.commit()
    return len(claimed)


async def next_due(db: Database) -> datetime | None:
    async with db.statements() as st:
        return (await st.execute(_NEXT_DUE)).scalar()


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


async def _record(uow, row, result: Attempt, *, now: datetime, settings: NotificationsSettings) -> None:
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
    await uow.execute(update(d).where(d.c.id == row.id).values(**values))
    if not result.ok and values.get("status") == "failed" and row.event != PING:
        await disable(uow, row, now=now, reason=result.error or "")


async def disable(uow, row, *, now: datetime, reason: str) -> None:
    """Disable the webhook (once), fail its other pending deliveries, and email the organisation's admins."""
    done = (await uow.execute(update(w).where(w.c.id == row.webhook_id, w.c.active)
                              .values(active=False, disabled_at=now, updated_at=now).returning(w.c.url))).first()
    if done is None:
        return
    await uow.execute(update(d).where(d.c.webhook_id == row.webhook_id, d.c.status == "pending", d.c.event != PING)
                      .values(status="failed", error="webhook désactivé"))
    log.warning("webhook %s disabled after failing for %s", row.webhook_id, row.created_at)
    admins = (await uow.execute(select(t.agents.c.id, t.agents.c.email).where(
        t.agents.c.organisation_id == row.organisation_id, t.agents.c.role == "admin", ~t.agents.c.deleted,
        t.agents.c.email.is_not(None)))).all()
    if not admins and row.created_by:  # roles not known yet (agents projected before migration 0005)
        admins = (await uow.execute(select(t.agents.c.id, t.agents.c.email).where(
            and_(t.agents.c.id == row.created_by, ~t.agents.c.deleted, t.agents.c.email.is_not(None))))).all()
    org = (await uow.execute(select(t.organisations.c.name).where(t.organisations.c.id == row.organisation_id))).scalar()
    subject = "Webhook désactivé après des échecs répétés"
    body = (f"Bonjour,\n\nLe webhook {done.url} de l'organisation {org or ''} a été désactivé : un événement "
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
        await uow.execute(insert(t.messages).values(rows).on_conflict_do_nothing())
        await uow.execute(text(f"select pg_notify('{MESSAGES_DUE}', '')"))


def client() -> httpx.AsyncClient:
    """The outgoing client: no redirects followed, no proxy from the environment, pooled connections."""
    return httpx.AsyncClient(follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_connections=64, max_keepalive_connections=16))

