"""Reads of the directory for the routes (cosmicpython's views): pages of services and agents, one of
each, the ids a request names, the organisation of a public slug with its read positions."""
from __future__ import annotations

import uuid

from gateway.domain.model import Agent, Organisation
from gateway.service_layer.unit_of_work import unit_of_work
from shared.consistency import Positions
from shared.db import Database
from shared.errors import NotFound


async def list_services(*, db: Database, organisation_id: uuid.UUID, page: int, per_page: int) -> dict:
    """A page of the organisation's services."""
    async with unit_of_work(db) as uow:
        items, total = await uow.directory.list_services(organisation_id=organisation_id, page=page,
                                                per_page=per_page)
    return {"items": items, "total": total, "page": page, "per_page": per_page}


async def get_service(*, db: Database, organisation_id: uuid.UUID, service_id: uuid.UUID) -> dict:
    """One service of the organisation (404 otherwise)."""
    async with unit_of_work(db) as uow:
        service = await uow.directory.get_service(organisation_id=organisation_id, service_id=service_id)
    if not service:
        raise NotFound("Service introuvable.")
    return service


async def list_agents(*, db: Database, organisation_id: uuid.UUID, page: int, per_page: int,
                      service_id: uuid.UUID | None) -> dict:
    """A page of the organisation's agents (optionally of one service)."""
    async with unit_of_work(db) as uow:
        agents, total = await uow.directory.list_agents(organisation_id=organisation_id, page=page,
                                               per_page=per_page, service_id=service_id)
    return {"items": [a.as_dict() for a in agents], "total": total, "page": page, "per_page": per_page}


async def get_agent(*, db: Database, organisation_id: uuid.UUID, agent_id: uuid.UUID) -> Agent:
    """One agent of the organisation (404 otherwise)."""
    async with unit_of_work(db) as uow:
        agent = await uow.directory.get_agent(agent_id=agent_id, organisation_id=organisation_id)
    if agent is None:
        raise NotFound("Agent introuvable.")
    return agent


async def colleagues(*, db: Database, organisation_id: uuid.UUID) -> list[Agent]:
    """Every agent of the organisation (the candidates of a créneaux search)."""
    async with unit_of_work(db) as uow:
        agents, _ = await uow.directory.list_agents(organisation_id=organisation_id)
    return agents


async def existing_agent_ids(*, db: Database, organisation_id: uuid.UUID,
                             agent_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `agent_ids` that are agents of the organisation."""
    async with unit_of_work(db, autocommit=True) as uow:
        return await uow.directory.existing_agent_ids(organisation_id=organisation_id, agent_ids=agent_ids)


async def existing_service_ids(*, db: Database, organisation_id: uuid.UUID,
                               service_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `service_ids` that are services of the organisation."""
    async with unit_of_work(db, autocommit=True) as uow:
        return await uow.directory.existing_service_ids(organisation_id=organisation_id, service_ids=service_ids)


async def published_organisation(*, db: Database, slug: str) -> tuple[Organisation, Positions]:
    """The organisation of a slug if it publishes online (else 404), with its read positions."""
    async with unit_of_work(db) as uow:
        org = await uow.directory.get_organisation_by_slug(slug=slug)
        if org is None or not org.publish_online:
            raise NotFound("Cette organisation ne propose pas de prise de rendez-vous en ligne.")
        return org, await uow.positions.read(organisation_id=org.id)
