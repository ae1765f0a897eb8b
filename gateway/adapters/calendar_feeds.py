"""Calendar feeds (one per agent): the token is never stored, only its SHA-256 (see
gateway.service_layer.calendar_feed for how the token is derived from the nonce)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Table, Text, select, text
from sqlalchemy.dialects.postgresql import UUID, insert

from gateway.adapters.positions import positions_of_organisation
from gateway.adapters.tables import agent_services, agents, metadata, organisations

calendar_feeds = Table(
    "calendar_feeds", metadata,
    Column("agent_id", UUID(as_uuid=True), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("nonce", Text, nullable=False),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("hide_usager_names", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


class CalendarFeedRepository:
    """The agents' calendar feeds (one row per agent)."""

    def __init__(self, uow):
        self._uow = uow

    async def get(self, *, agent_id: uuid.UUID):
        stmt = select(calendar_feeds).where(calendar_feeds.c.agent_id == agent_id)
        return (await self._uow.execute(stmt)).mappings().first()

    async def put(self, *, agent_id: uuid.UUID, nonce: str, token_hash: str, now: datetime,
                  replace: bool, hide_usager_names: bool | None = None):
        """Create the agent's feed (or, with `replace`, give it a new nonce); return the row as stored."""
        values = {"agent_id": agent_id, "nonce": nonce, "token_hash": token_hash, "created_at": now,
                  "updated_at": now}
        if hide_usager_names is not None:
            values["hide_usager_names"] = hide_usager_names
        stmt = insert(calendar_feeds).values(**values)
        if replace:
            stmt = stmt.on_conflict_do_update(index_elements=[calendar_feeds.c.agent_id], set_={
                "nonce": nonce, "token_hash": token_hash, "updated_at": now})
        else:  # a concurrent first call: the first one's feed stays
            stmt = stmt.on_conflict_do_nothing(index_elements=[calendar_feeds.c.agent_id])
        await self._uow.execute(stmt)
        return await self.get(agent_id=agent_id)

    async def update(self, *, agent_id: uuid.UUID, now: datetime, **values) -> None:
        await self._uow.execute(calendar_feeds.update().where(calendar_feeds.c.agent_id == agent_id)
                                .values(updated_at=now, **values))

    async def owner_of(self, *, token_hash: str):
        """The live agent (with organisation and services) whose feed has this token hash, or None."""
        service_ids = (select(text("coalesce(array_agg(agent_services.service_id "
                                   "order by agent_services.service_id), '{}'::uuid[])"))
                       .select_from(agent_services).where(agent_services.c.agent_id == agents.c.id)
                       .scalar_subquery())
        stmt = (select(calendar_feeds.c.hide_usager_names, calendar_feeds.c.updated_at.label("feed_updated_at"),
                       agents.c.id.label("agent_id"), agents.c.role, agents.c.first_name, agents.c.last_name,
                       service_ids.label("service_ids"), organisations.c.id.label("organisation_id"),
                       organisations.c.name.label("organisation_name"), organisations.c.timezone,
                       organisations.c.holiday_zone, positions_of_organisation().label("positions"))
                .select_from(calendar_feeds.join(agents, agents.c.id == calendar_feeds.c.agent_id)
                             .join(organisations, organisations.c.id == agents.c.organisation_id))
                .where(calendar_feeds.c.token_hash == token_hash, agents.c.deleted_at.is_(None)))
        return (await self._uow.execute(stmt)).mappings().first()
