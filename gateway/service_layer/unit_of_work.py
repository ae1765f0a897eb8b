"""The gateway's unit of work: shared.db's, with the gateway's repositories on it.

    async with unit_of_work(db) as uow:                    # a transaction: rolled back unless committed
        agent = await uow.directory.get_agent(agent_id=...)
        uow.publish(event)                                 # written to the outbox in the same commit
        await uow.commit()
    async with unit_of_work(db, autocommit=True) as uow:   # each statement its own transaction
        row = await uow.sessions.find_caller(token_hash=...)

Autocommit serves the reads that need no snapshot shared with another statement and one-statement writes
without events (the caller's lookup on every request, agent checks, what a write leaves behind): no BEGIN /
COMMIT round trips. Use cases reach storage only through this; the runtime hands the class to its
`Database` too, so `db.uow()` is the same.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from gateway.adapters.audit import AuditRepository
from gateway.adapters.calendar_feeds import CalendarFeedRepository
from gateway.adapters.closing import ClosingRepository
from gateway.adapters.idempotency import IdempotencyRepository
from gateway.adapters.positions import PositionRepository
from gateway.adapters.repository import DirectoryRepository
from gateway.adapters.sessions import SessionRepository, ThrottleRepository
from shared.db import Database, UnitOfWork, repository
from shared.errors import Conflict


class ConcurrentWrite(Conflict):
    code = "conflict"
    message = "Cette valeur est déjà utilisée (écriture concurrente)."


class GatewayUnitOfWork(UnitOfWork):
    directory = repository(DirectoryRepository)  # organisations, services, agents
    sessions = repository(SessionRepository)
    throttle = repository(ThrottleRepository)  # login attempts, rate-limit events
    idempotency = repository(IdempotencyRepository)
    audit = repository(AuditRepository)
    positions = repository(PositionRepository)  # read positions (reads after writes)
    calendar_feeds = repository(CalendarFeedRepository)
    closing = repository(ClosingRepository)  # what a write leaves behind, in one statement

    async def execute(self, statement, params: Any = None):
        """Run a statement; two concurrent writes of one unique value (an email, a slug) that both passed
        their checks meet the database's constraint: the loser's is a 409, in the contract's error tree."""
        try:
            return await super().execute(statement, params)
        except IntegrityError as exc:
            raise ConcurrentWrite() from exc


def unit_of_work(db: Database, *, autocommit: bool = False) -> GatewayUnitOfWork:
    """A unit of work of the gateway's database, whichever way the `Database` was made (the runtime's, or
    one that `rdv retention` opens on the gateway's URL)."""
    return GatewayUnitOfWork(db, autocommit=autocommit)
