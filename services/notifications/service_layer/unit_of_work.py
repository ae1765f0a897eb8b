"""The notifications service's unit of work: one transaction and the repositories that work in it.

Use cases, event handlers and the background loops reach the database only through it
(`uow.projections`, `uow.messages`, `uow.deliveries`, `uow.webhooks`). The runtime's database makes them
(`runtime.db.uow()`, and the inbox for each event it applies); so does any database given the class
(`Database(url, unit_of_work=NotificationsUnitOfWork)`).
"""
from __future__ import annotations

from services.notifications.adapters.delivery_queue import DeliveryRepository
from services.notifications.adapters.repository import MessageRepository, ProjectionRepository
from services.notifications.adapters.webhooks_repo import WebhookRepository
from shared.db import UnitOfWork, repository


class NotificationsUnitOfWork(UnitOfWork):
    projections = repository(ProjectionRepository)
    messages = repository(MessageRepository)
    deliveries = repository(DeliveryRepository)
    webhooks = repository(WebhookRepository)

