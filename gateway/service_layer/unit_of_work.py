"""The gateway's one road to its database: a unit of work with the repositories on it.

    async with unit_of_work(db) as uow:                    # a transaction: rolled back unless committed
        agent = await uow.directory.get_agent(agent_id=...)
        uow.publish(event)                                 # written to the outbox in the same commit
        await uow.commit()
    async with unit_of_work(db, autocommit=True) as uow:   # each statement its own transaction
        row = await uow.sessions.find_caller(token_hash=...)

Autocommit serves the reads that need no snapshot shared with another statement and one-statement writes
without events (the caller's lookup on every request, agent checks, audit rows, read positions): no BEGIN /
COMMIT round trips. Use cases reach storage only through this (never an adapter's SQL of their own).
"""
from __future__ import annotations

import contextlib
from functools import cached_property
from typing import AsyncIterator

from gateway.adapters.audit import AuditRepository
from gateway.adapters.calendar_feeds import CalendarFeedRepository
from gateway.adapters.idempotency import IdempotencyRepository
from gateway.adapters.positions import PositionRepository
from gateway.adapters.repository import DirectoryRepository
from gateway.adapters.sessions import SessionRepository, ThrottleRepository
from shared.db import Database
from shared.events import Envelope


class GatewayUnitOfWork:
    """One transaction (or autocommit statements) of the gateway's database and its repositories, each
    built at its first use."""

    def __init__(self, executor):
        self._executor = executor  # shared.db's unit of work, or its autocommit statements

    def publish(self, envelope: Envelope) -> None:
        self._executor.publish(envelope)

    async def commit(self) -> None:
        await self._executor.commit()

    @cached_property
    def directory(self) -> DirectoryRepository:
        return DirectoryRepository(self._executor)

    @cached_property
    def sessions(self) -> SessionRepository:
        return SessionRepository(self._executor)

    @cached_property
    def throttle(self) -> ThrottleRepository:
        return ThrottleRepository(self._executor)

    @cached_property
    def idempotency(self) -> IdempotencyRepository:
        return IdempotencyRepository(self._executor)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self._executor)

    @cached_property
    def positions(self) -> PositionRepository:
        return PositionRepository(self._executor)

    @cached_property
    def calendar_feeds(self) -> CalendarFeedRepository:
        return CalendarFeedRepository(self._executor)


@contextlib.asynccontextmanager
async def unit_of_work(db: Database, *, autocommit: bool = False) -> AsyncIterator[GatewayUnitOfWork]:
    """A unit of work of the gateway's database (see the module's docstring)."""
    if autocommit:
        async with db.statements() as statements:
            yield GatewayUnitOfWork(statements)
    else:
        async with db.uow() as uow:
            yield GatewayUnitOfWork(uow)
