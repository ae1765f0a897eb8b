"""The notifications service's unit of work: one transaction and the repositories that work in it.

Use cases, event handlers and the background loops reach the database only through it
(`uow.projections`, `uow.messages`, `uow.deliveries`, `uow.webhooks`); routes and loops make one with
`unit_of_work(db)`, consumers wrap the inbox's transaction with `NotificationsUnitOfWork(uow)` so that
the handler's writes commit with the event's inbox row.
"""
from __future__ import annotations

from typing import Any, Callable

from services.notifications.adapters.delivery_queue import DeliveryRepository
from services.notifications.adapters.repository import MessageRepository, ProjectionRepository
from services.notifications.adapters.webhooks_repo import WebhookRepository
from shared.db import Database, UnitOfWork
from shared.events import Envelope


class NotificationsUnitOfWork:
    """`async with uow:` opens the transaction, `await uow.commit()` commits it (rolled back otherwise)."""

    def __init__(self, transaction: UnitOfWork, *, relay_wakeup: Callable[[], None] | None = None):
        self.transaction = transaction
        self._relay_wakeup = relay_wakeup
        self.projections = ProjectionRepository(transaction)
        self.messages = MessageRepository(transaction)
        self.deliveries = DeliveryRepository(transaction)
        self.webhooks = WebhookRepository(transaction)

    async def __aenter__(self) -> "NotificationsUnitOfWork":
        await self.transaction.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.transaction.__aexit__(*exc)

    def publish(self, envelope: Envelope) -> None:
        """Write the event to the outbox in this transaction."""
        self.transaction.publish(envelope)

    async def commit(self, *, outbox_written: bool = False) -> None:
        """Commit; `outbox_written`: a repository wrote outbox rows itself (in bulk), so the relay is woken
        as after `publish`."""
        await self.transaction.commit()
        if outbox_written and self._relay_wakeup:
            self._relay_wakeup()


def unit_of_work(db: Database) -> NotificationsUnitOfWork:
    return NotificationsUnitOfWork(db.uow(), relay_wakeup=db.on_commit)
