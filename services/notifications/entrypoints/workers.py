"""Background loops of each replica: the delivery queue and the reminder schedule.

The delivery loop wakes on PostgreSQL NOTIFY (sent when messages are queued, delivered on
commit to every replica), when a retry falls due, and at least every `tick_seconds`. After a
NOTIFY it waits `wake_delay_seconds`, so that under load one round sends what several commits queued.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from datetime import timedelta

from services.notifications.adapters.listen import listen
from services.notifications.adapters.repository import DUE_CHANNEL
from services.notifications.adapters.render import render
from services.notifications.adapters.senders import email_sender, sms_sender
from services.notifications.adapters.webhooks_repo import DUE_CHANNEL as WEBHOOKS_DUE
from services.notifications.service_layer import webhook_delivery
from services.notifications.service_layer.delivery import deliver_due
from services.notifications.service_layer.messages import Compose
from services.notifications.service_layer.reminders import produce_due_reminders
from services.notifications.service_layer.webhooks import LOG_DAYS, purge_log
from shared import clock

log = logging.getLogger("rdv.notifications.workers")


def composer(settings) -> Compose:
    """How messages are written: the templates, signed with the configured From address (the .ics organiser)."""
    return functools.partial(render, sender=settings.smtp_from)


def build_senders(settings) -> dict:
    """The email and SMS senders; a misconfigured provider stops the service at start-up."""
    return {"email": email_sender(settings), "sms": sms_sender(settings)}


def delivery_loop(senders: dict):
    async def run(runtime) -> None:
        await _deliver_forever(runtime, senders)
    return run


async def _deliver_forever(runtime, senders: dict) -> None:
    settings, db = runtime.settings, runtime.db
    wake = asyncio.Event()
    listener = asyncio.create_task(listen(settings.database_url, wake, DUE_CHANNEL))
    try:
        while True:
            wake.clear()
            timeout = settings.tick_seconds
            try:
                # Rounds of up to `senders` messages handed to providers at once (rows claimed SKIP LOCKED).
                result = await deliver_due(db.uow(), senders=senders, settings=settings)
                if result.next_due is not None:
                    timeout = min(timeout, max((result.next_due - clock.now()) / timedelta(seconds=1), 0.05))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("delivery: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=timeout)
                # Woken by a NOTIFY: let the messages queued by the next few commits join this round.
                await asyncio.sleep(settings.wake_delay_seconds)
    finally:
        listener.cancel()


async def reminder_loop(runtime) -> None:
    settings = runtime.settings
    compose = composer(settings)
    while True:
        try:
            while await produce_due_reminders(runtime.db.uow(), compose=compose,
                                              batch=settings.batch):
                pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("reminders: %r", exc)
        await asyncio.sleep(settings.tick_seconds)


async def webhook_loop(runtime) -> None:
    """Webhook deliveries: woken by NOTIFY (a delivery queued), when a retry falls due, at least every tick."""
    settings, db = runtime.settings, runtime.db
    wake = asyncio.Event()
    listener = asyncio.create_task(listen(settings.database_url, wake, WEBHOOKS_DUE))
    client = webhook_delivery.client()
    purged_at = 0.0
    try:
        while True:
            wake.clear()
            timeout = settings.tick_seconds
            try:
                if time.monotonic() - purged_at > 3600:  # the delivery log keeps LOG_DAYS days
                    purged_at = time.monotonic()
                    await purge_log(db.uow(), before=clock.now() - timedelta(days=LOG_DAYS))
                while await webhook_delivery.deliver_round(db.uow(), client,
                                                         settings) >= max(settings.webhook_senders, 1):
                    pass
                due = await webhook_delivery.next_due(db.uow())
                if due is not None:
                    timeout = min(timeout, max((due - clock.now()) / timedelta(seconds=1), 0.05))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("webhooks: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=timeout)
    finally:
        listener.cancel()
        await client.aclose()
