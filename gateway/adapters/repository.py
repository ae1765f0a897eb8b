"""Reads and writes of the directory (organisations, services, agents) in the gateway's database."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from gateway.adapters.tables import agent_services, agents, organisations, services
from gateway.domain.model import Agent, Organisation

_active = agents.c.deleted_at.is_(None)
# Built once: checked on every call that names agents (cache key memoised, no IN expansion).
_EXISTING_AGENTS = select(agents.c.id).where(
    agents.c.organisation_id == bindparam("organisation_id"), _active,
    agents.c.id == any_(bindparam("agent_ids", type_=ARRAY(UUID(as_uuid=True)))))


async def lock_key(uow, key: str) -> None:
    """Serialise the transactions that use one key (an email, a slug, a throttling bucket) until they end."""
    await uow.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


def _org(row) -> Organisation:
    return Organisation(id=row.id, name=row.name, slug=row.slug, timezone=row.timezone,
                        holiday_zone=row.holiday_zone, publish_online=row.publish_online,
                        holiday_observances=row.holiday_observances, contact_email=row.contact_email)


def service_dict(row) -> dict:
    return {"id": str(row.id), "organisation_id": str(row.organisation_id), "name": row.name,
            "short_name": row.short_name}


def _agent(row, service_ids) -> Agent:
    return Agent(id=row.id, organisation_id=row.organisation_id, email=row.email, first_name=row.first_name,
                 last_name=row.last_name, role=row.role, service_ids=tuple(service_ids))


class DirectoryRepository:
    """Organisations, services and agents."""

    def __init__(self, uow):
        self._uow = uow

    async def lock_key(self, *, key: str) -> None:
        """Serialise the transactions that use one key (an email, a slug) until they end."""
        await lock_key(self._uow, key)

    # ---- organisations ----

    async def get_organisation(self, *, organisation_id: uuid.UUID, lock: bool = False) -> Organisation | None:
        stmt = select(organisations).where(organisations.c.id == organisation_id)
        row = (await self._uow.execute(stmt.with_for_update() if lock else stmt)).first()
        return _org(row) if row else None

    async def get_organisation_by_slug(self, *, slug: str) -> Organisation | None:
        row = (await self._uow.execute(select(organisations).where(organisations.c.slug == slug))).first()
        return _org(row) if row else None

    async def slug_taken(self, *, slug: str) -> bool:
        stmt = select(organisations.c.id).where(organisations.c.slug == slug)
        return (await self._uow.execute(stmt)).first() is not None

    async def add_organisation(self, *, org: Organisation, now: datetime) -> None:
        await self._uow.execute(insert(organisations).values(
            id=org.id, name=org.name, slug=org.slug, timezone=org.timezone, holiday_zone=org.holiday_zone,
            holiday_observances=org.holiday_observances, publish_online=org.publish_online,
            contact_email=org.contact_email, created_at=now, updated_at=now))

    async def update_organisation(self, *, org: Organisation, now: datetime) -> None:
        await self._uow.execute(update(organisations).where(organisations.c.id == org.id).values(
            name=org.name, timezone=org.timezone, holiday_zone=org.holiday_zone,
            holiday_observances=org.holiday_observances, publish_online=org.publish_online,
            contact_email=org.contact_email, updated_at=now))

    # ---- services ----

    async def list_services(self, *, organisation_id: uuid.UUID, page: int, per_page: int):
        where = services.c.organisation_id == organisation_id
        total = (await self._uow.execute(select(func.count()).select_from(services).where(where))).scalar_one()
        rows = (await self._uow.execute(select(services).where(where).order_by(services.c.name, services.c.id)
                                        .limit(per_page).offset((page - 1) * per_page))).all()
        return [service_dict(r) for r in rows], total

    async def get_service(self, *, organisation_id: uuid.UUID, service_id: uuid.UUID, lock=False):
        stmt = select(services).where(services.c.id == service_id, services.c.organisation_id == organisation_id)
        row = (await self._uow.execute(stmt.with_for_update() if lock else stmt)).first()
        return service_dict(row) if row else None

    async def existing_service_ids(self, *, organisation_id: uuid.UUID,
                                   service_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        if not service_ids:
            return set()
        rows = await self._uow.execute(select(services.c.id).where(services.c.organisation_id == organisation_id,
                                                                   services.c.id.in_(service_ids)))
        return {r.id for r in rows}

    async def add_service(self, *, values: dict, now: datetime) -> None:
        await self._uow.execute(insert(services).values(**values, created_at=now, updated_at=now))

    async def update_service(self, *, service_id: uuid.UUID, values: dict, now: datetime) -> None:
        await self._uow.execute(update(services).where(services.c.id == service_id)
                                .values(**values, updated_at=now))

    async def delete_service(self, *, service_id: uuid.UUID) -> list[uuid.UUID]:
        """Delete a service; return the agents who belonged to it."""
        rows = await self._uow.execute(select(agent_services.c.agent_id)
                                       .where(agent_services.c.service_id == service_id))
        members = [r.agent_id for r in rows]
        await self._uow.execute(delete(agent_services).where(agent_services.c.service_id == service_id))
        await self._uow.execute(delete(services).where(services.c.id == service_id))
        return members

    # ---- agents ----

    async def _service_ids_of(self, agent_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        result: dict[uuid.UUID, list[uuid.UUID]] = {a: [] for a in agent_ids}
        if agent_ids:
            rows = await self._uow.execute(select(agent_services).where(agent_services.c.agent_id.in_(agent_ids))
                                           .order_by(agent_services.c.service_id))
            for r in rows:
                result[r.agent_id].append(r.service_id)
        return result

    async def get_agent(self, *, agent_id: uuid.UUID, organisation_id: uuid.UUID | None = None,
                        lock: bool = False) -> Agent | None:
        stmt = select(agents).where(agents.c.id == agent_id, _active)
        if organisation_id is not None:
            stmt = stmt.where(agents.c.organisation_id == organisation_id)
        row = (await self._uow.execute(stmt.with_for_update() if lock else stmt)).first()
        if not row:
            return None
        return _agent(row, (await self._service_ids_of([row.id]))[row.id])

    async def get_credentials(self, *, email: str) -> tuple[Agent, str] | None:
        row = (await self._uow.execute(select(agents).where(func.lower(agents.c.email) == email, _active))).first()
        if not row:
            return None
        return _agent(row, (await self._service_ids_of([row.id]))[row.id]), row.password_hash

    async def email_in_use(self, *, email: str, except_id: uuid.UUID | None = None) -> bool:
        stmt = select(agents.c.id).where(func.lower(agents.c.email) == email, _active)
        if except_id:
            stmt = stmt.where(agents.c.id != except_id)
        return (await self._uow.execute(stmt)).first() is not None

    async def list_agents(self, *, organisation_id: uuid.UUID, page: int = 1, per_page: int = 10_000,
                          service_id: uuid.UUID | None = None) -> tuple[list[Agent], int]:
        where = and_(agents.c.organisation_id == organisation_id, _active)
        if service_id:
            where = and_(where, agents.c.id.in_(select(agent_services.c.agent_id)
                                                .where(agent_services.c.service_id == service_id)))
        total = (await self._uow.execute(select(func.count()).select_from(agents).where(where))).scalar_one()
        rows = (await self._uow.execute(
            select(agents).where(where).order_by(agents.c.last_name, agents.c.first_name, agents.c.id)
            .limit(per_page).offset((page - 1) * per_page))).all()
        sids = await self._service_ids_of([r.id for r in rows])
        return [_agent(r, sids[r.id]) for r in rows], total

    async def existing_agent_ids(self, *, organisation_id: uuid.UUID,
                                 agent_ids: list[uuid.UUID]) -> set[uuid.UUID]:
        if not agent_ids:
            return set()
        rows = await self._uow.execute(_EXISTING_AGENTS, {"organisation_id": organisation_id,
                                                          "agent_ids": list(agent_ids)})
        return {r.id for r in rows}

    async def count_admins(self, *, organisation_id: uuid.UUID) -> int:
        stmt = select(func.count()).select_from(agents).where(agents.c.organisation_id == organisation_id, _active,
                                                              agents.c.role == "admin")
        return (await self._uow.execute(stmt)).scalar_one()

    async def add_agent(self, *, agent: Agent, password_hash: str, now: datetime) -> None:
        await self._uow.execute(insert(agents).values(
            id=agent.id, organisation_id=agent.organisation_id, email=agent.email, first_name=agent.first_name,
            last_name=agent.last_name, role=agent.role, password_hash=password_hash, created_at=now, updated_at=now))
        await self.set_agent_services(agent_id=agent.id, service_ids=list(agent.service_ids))

    async def set_agent_services(self, *, agent_id: uuid.UUID, service_ids: list[uuid.UUID]) -> None:
        await self._uow.execute(delete(agent_services).where(agent_services.c.agent_id == agent_id))
        if service_ids:
            await self._uow.execute(insert(agent_services), [{"agent_id": agent_id, "service_id": s}
                                                             for s in dict.fromkeys(service_ids)])

    async def update_agent(self, *, agent: Agent, now: datetime, password_hash: str | None = None) -> None:
        values = dict(email=agent.email, first_name=agent.first_name, last_name=agent.last_name, role=agent.role,
                      updated_at=now)
        if password_hash:
            values["password_hash"] = password_hash
        await self._uow.execute(update(agents).where(agents.c.id == agent.id).values(**values))
        await self.set_agent_services(agent_id=agent.id, service_ids=list(agent.service_ids))

    async def delete_agent(self, *, agent_id: uuid.UUID, now: datetime) -> None:
        await self._uow.execute(update(agents).where(agents.c.id == agent_id).values(deleted_at=now, updated_at=now))
        await self._uow.execute(delete(agent_services).where(agent_services.c.agent_id == agent_id))
