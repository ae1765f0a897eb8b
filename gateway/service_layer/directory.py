"""Use cases of the directory: organisations, services, agents. Each change and its
`directory.*` event commit together (outbox)."""
from __future__ import annotations

import uuid
from dataclasses import replace

from gateway.adapters.hashing import hash_password
from gateway.domain import slugs
from gateway.domain.model import Agent, Organisation, Principal, is_valid_email, normalise_email
from gateway.domain.passwords import check_password
from gateway.domain.permissions import require_admin, require_may_edit_agent
from gateway.service_layer.unit_of_work import GatewayUnitOfWork, unit_of_work
from shared import clock
from shared.db import Database
from shared.errors import Conflict, NotFound, ValidationFailed
from shared import events as catalogue
from shared.events import new_event
from shared.timeutil import is_valid_timezone


def _actor(principal: Principal | None) -> dict:
    return {"kind": "agent", "id": principal.agent.id} if principal else {"kind": "system", "id": None}


def _organisation_data(org: Organisation):
    """The `directory.organisation.*` payload, built as the catalogue's model."""
    return catalogue.OrganisationData(organisation=catalogue.Organisation(**org.as_dict()))


def _service_data(service: dict):
    return catalogue.ServiceData(service=catalogue.Service(**service))


def _agent_data(agent: Agent):
    return catalogue.AgentData(agent=catalogue.Agent(**agent.event_dict()))


def _check_timezone(zone: str) -> None:
    if not is_valid_timezone(zone):
        raise ValidationFailed("Fuseau horaire inconnu.", code="invalid_timezone",
                               details={"fields": {"timezone": "Fuseau horaire IANA inconnu (ex. Europe/Paris)."}})


def _check_email(email: str) -> str:
    email = normalise_email(email)
    if not is_valid_email(email):
        raise ValidationFailed("Adresse e-mail invalide.", code="invalid_email",
                               details={"fields": {"email": "Adresse e-mail invalide."}})
    return email


async def _check_email_free(uow: GatewayUnitOfWork, email: str, except_id: uuid.UUID | None = None) -> None:
    await uow.directory.lock_key(key="email:" + email)
    if await uow.directory.email_in_use(email=email, except_id=except_id):
        raise Conflict("Cette adresse e-mail est déjà utilisée par un compte.", code="email_taken",
                       details={"fields": {"email": "Adresse déjà utilisée."}})


async def _check_services(uow: GatewayUnitOfWork, organisation_id: uuid.UUID, service_ids: list[uuid.UUID]) -> None:
    found = await uow.directory.existing_service_ids(organisation_id=organisation_id, service_ids=service_ids)
    unknown = [str(s) for s in service_ids if s not in found]
    if unknown:
        raise ValidationFailed("Service inconnu dans cette organisation.", code="unknown_service",
                               details={"fields": {"service_ids": "Service inconnu."}, "service_ids": unknown})


async def create_organisation(*, db: Database, name: str, timezone: str, holiday_zone: str,
                              admin: dict) -> Organisation:
    """Create an organisation and its first admin (platform key)."""
    _check_timezone(timezone)
    email = _check_email(admin["email"])
    check_password(admin["password"])
    password_hash = await hash_password(admin["password"])
    now = clock.now()
    async with unit_of_work(db) as uow:
        await _check_email_free(uow, email)
        slug = await _free_slug(uow, name)
        org = Organisation(id=uuid.uuid4(), name=name.strip(), slug=slug, timezone=timezone,
                           holiday_zone=holiday_zone, publish_online=False)
        await uow.directory.add_organisation(org=org, now=now)
        agent = Agent(id=uuid.uuid4(), organisation_id=org.id, email=email, first_name=admin["first_name"],
                      last_name=admin["last_name"], role="admin")
        await uow.directory.add_agent(agent=agent, password_hash=password_hash, now=now)
        uow.publish(new_event("directory.organisation.created", organisation_id=org.id,
                              data=_organisation_data(org)))
        uow.publish(new_event("directory.agent.created", organisation_id=org.id,
                              data=_agent_data(agent)))
        await uow.commit()
    return org


async def _free_slug(uow: GatewayUnitOfWork, name: str) -> str:
    await uow.directory.lock_key(key="slug:" + slugs.slugify(name))
    for candidate in slugs.candidates(name):
        if not await uow.directory.slug_taken(slug=candidate):
            return candidate
    raise AssertionError("unreachable")


async def update_organisation(*, db: Database, principal: Principal, changes: dict) -> Organisation:
    """Change the caller's organisation (admins)."""
    require_admin(principal.agent)
    changes = {k: v for k, v in changes.items() if v is not None}  # null means "unchanged"
    if "timezone" in changes:
        _check_timezone(changes["timezone"])
    if "contact_email" in changes:  # "" removes it
        changes["contact_email"] = _check_email(changes["contact_email"]) if changes["contact_email"].strip() else None
    async with unit_of_work(db) as uow:
        org = await uow.directory.get_organisation(organisation_id=principal.organisation.id)
        org = replace(org, **changes)
        await uow.directory.update_organisation(org=org, now=clock.now())
        uow.publish(new_event("directory.organisation.updated", organisation_id=org.id,
                              data=_organisation_data(org), actor=_actor(principal)))
        await uow.commit()
    return org


# ---- services ----

async def create_service(*, db: Database, principal: Principal, name: str, short_name: str | None) -> dict:
    """Add a service to the caller's organisation (admins)."""
    require_admin(principal.agent)
    values = {"id": uuid.uuid4(), "organisation_id": principal.organisation.id, "name": name.strip(),
              "short_name": short_name}
    async with unit_of_work(db) as uow:
        await uow.directory.add_service(values=values, now=clock.now())
        service = await uow.directory.get_service(organisation_id=principal.organisation.id,
                                                  service_id=values["id"])
        uow.publish(new_event("directory.service.created", organisation_id=principal.organisation.id,
                              data=_service_data(service), actor=_actor(principal)))
        await uow.commit()
    return service


async def update_service(*, db: Database, principal: Principal, service_id: uuid.UUID, changes: dict) -> dict:
    """Rename a service (admins)."""
    require_admin(principal.agent)
    async with unit_of_work(db) as uow:
        if not await uow.directory.get_service(organisation_id=principal.organisation.id,
                                               service_id=service_id, lock=True):
            raise NotFound("Service introuvable.")
        if changes:
            await uow.directory.update_service(service_id=service_id, values=changes, now=clock.now())
        service = await uow.directory.get_service(organisation_id=principal.organisation.id, service_id=service_id)
        uow.publish(new_event("directory.service.updated", organisation_id=principal.organisation.id,
                              data=_service_data(service), actor=_actor(principal)))
        await uow.commit()
    return service


async def delete_service(*, db: Database, principal: Principal, service_id: uuid.UUID) -> None:
    """Delete a service (admins); its agents leave it."""
    require_admin(principal.agent)
    org_id = principal.organisation.id
    async with unit_of_work(db) as uow:
        service = await uow.directory.get_service(organisation_id=org_id, service_id=service_id, lock=True)
        if not service:
            raise NotFound("Service introuvable.")
        members = await uow.directory.delete_service(service_id=service_id)
        uow.publish(new_event("directory.service.deleted", organisation_id=org_id,
                              data=_service_data(service), actor=_actor(principal)))
        for agent_id in members:
            agent = await uow.directory.get_agent(agent_id=agent_id)
            if agent:
                uow.publish(new_event("directory.agent.updated", organisation_id=org_id,
                                      data=_agent_data(agent), actor=_actor(principal)))
        await uow.commit()


# ---- agents ----

async def create_agent(*, db: Database, principal: Principal, email: str, first_name: str, last_name: str,
                       password: str, role: str, service_ids: list[uuid.UUID]) -> Agent:
    """Add an agent to the caller's organisation (admins)."""
    require_admin(principal.agent)
    email = _check_email(email)
    check_password(password)
    password_hash = await hash_password(password)
    org_id = principal.organisation.id
    async with unit_of_work(db) as uow:
        await _check_services(uow, org_id, service_ids)
        await _check_email_free(uow, email)
        agent = Agent(id=uuid.uuid4(), organisation_id=org_id, email=email, first_name=first_name.strip(),
                      last_name=last_name.strip(), role=role, service_ids=tuple(dict.fromkeys(service_ids)))
        await uow.directory.add_agent(agent=agent, password_hash=password_hash, now=clock.now())
        uow.publish(new_event("directory.agent.created", organisation_id=org_id,
                              data=_agent_data(agent), actor=_actor(principal)))
        await uow.commit()
    return agent


async def update_agent(*, db: Database, principal: Principal, agent_id: uuid.UUID, changes: dict) -> Agent:
    """Change an agent (admins; an agent their own profile): names, email, role, services, password
    (a new password revokes their other sessions)."""
    require_may_edit_agent(principal.agent, agent_id, {k for k, v in changes.items() if v is not None})
    org_id = principal.organisation.id
    password = changes.pop("password", None)
    if password is not None:
        check_password(password)
    password_hash = await hash_password(password) if password else None
    if changes.get("email") is not None:
        changes["email"] = _check_email(changes["email"])
    now = clock.now()
    async with unit_of_work(db) as uow:
        agent = await uow.directory.get_agent(agent_id=agent_id, organisation_id=org_id, lock=True)
        if agent is None:
            raise NotFound("Agent introuvable.")
        if changes.get("service_ids") is not None:
            await _check_services(uow, org_id, changes["service_ids"])
            changes["service_ids"] = tuple(dict.fromkeys(changes["service_ids"]))
        if changes.get("email") is not None:
            await _check_email_free(uow, changes["email"], except_id=agent_id)
        if changes.get("role") == "basic" and agent.is_admin:
            await _keep_an_admin(uow, org_id)
        agent = replace(agent, **{k: v for k, v in changes.items() if v is not None})
        await uow.directory.update_agent(agent=agent, now=now, password_hash=password_hash)
        if password_hash:
            await uow.sessions.revoke_agent_sessions(
                agent_id=agent_id, now=now, keep=principal.session_id if agent_id == principal.agent.id else None)
        uow.publish(new_event("directory.agent.updated", organisation_id=org_id,
                              data=_agent_data(agent), actor=_actor(principal)))
        await uow.commit()
    return agent


async def _keep_an_admin(uow: GatewayUnitOfWork, organisation_id: uuid.UUID) -> None:
    # Lock the organisation so that two admins demoted at once cannot both pass the count.
    await uow.directory.get_organisation(organisation_id=organisation_id, lock=True)
    if await uow.directory.count_admins(organisation_id=organisation_id) <= 1:
        raise Conflict("L'organisation doit garder au moins un administrateur.", code="last_admin")


async def delete_agent(*, db: Database, principal: Principal, agent_id: uuid.UUID) -> None:
    """Remove an agent (admins): their sessions end; their history stays."""
    require_admin(principal.agent)
    org_id = principal.organisation.id
    now = clock.now()
    async with unit_of_work(db) as uow:
        agent = await uow.directory.get_agent(agent_id=agent_id, organisation_id=org_id, lock=True)
        if agent is None:
            raise NotFound("Agent introuvable.")
        if agent.is_admin:
            await _keep_an_admin(uow, org_id)
        await uow.directory.delete_agent(agent_id=agent_id, now=now)
        await uow.sessions.revoke_agent_sessions(agent_id=agent_id, now=now)
        uow.publish(new_event("directory.agent.deleted", organisation_id=org_id,
                              data=_agent_data(agent), actor=_actor(principal)))
        await uow.commit()
