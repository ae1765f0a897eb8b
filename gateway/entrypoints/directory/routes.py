"""Directory routes: the organisation, its services and its agents."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request, Response

from gateway.domain.model import Principal
from gateway.entrypoints.auth.dependencies import current_principal
from gateway.entrypoints.common import Paging, get_db
from gateway.schemas.common import STANDARD_ERRORS, Page
from gateway.schemas.directory import (AgentIn, AgentOut, AgentPatch, OrganisationOut, OrganisationPatch,
                                       ServiceIn, ServiceOut, ServicePatch)
from gateway.service_layer import directory, queries

router = APIRouter(prefix="/api/v1", tags=["annuaire"], responses=STANDARD_ERRORS)


@router.get("/organisation", response_model=OrganisationOut)
async def get_organisation(principal: Principal = Depends(current_principal)):
    """The caller's organisation."""
    return principal.organisation.as_dict()


@router.patch("/organisation", response_model=OrganisationOut)
async def patch_organisation(body: OrganisationPatch, request: Request,
                             principal: Principal = Depends(current_principal)):
    """Change the organisation's name, timezone, holiday zone or online publication (admins)."""
    org = await directory.update_organisation(db=get_db(request), principal=principal,
                                              changes=body.model_dump(exclude_unset=True))
    return org.as_dict()


@router.get("/services", response_model=Page[ServiceOut])
async def list_services(request: Request, paging: Paging = Depends(),
                        principal: Principal = Depends(current_principal)):
    """The organisation's services."""
    return await queries.list_services(db=get_db(request), organisation_id=principal.organisation.id,
                                       page=paging.page, per_page=paging.per_page)


@router.post("/services", status_code=201, response_model=ServiceOut)
async def create_service(body: ServiceIn, request: Request, principal: Principal = Depends(current_principal)):
    """Add a service (admins)."""
    return await directory.create_service(db=get_db(request), principal=principal, name=body.name,
                                          short_name=body.short_name)


@router.get("/services/{service_id}", response_model=ServiceOut)
async def get_service(service_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One service of the organisation."""
    return await queries.get_service(db=get_db(request), organisation_id=principal.organisation.id,
                                     service_id=service_id)


@router.patch("/services/{service_id}", response_model=ServiceOut)
async def patch_service(service_id: uuid.UUID, body: ServicePatch, request: Request,
                        principal: Principal = Depends(current_principal)):
    """Rename a service (admins)."""
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k == "short_name"}
    return await directory.update_service(db=get_db(request), principal=principal, service_id=service_id,
                                          changes=changes)


@router.delete("/services/{service_id}", status_code=204)
async def delete_service(service_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """Delete a service (admins); its agents leave it."""
    await directory.delete_service(db=get_db(request), principal=principal, service_id=service_id)
    return Response(status_code=204)


@router.get("/agents", response_model=Page[AgentOut])
async def list_agents(request: Request, paging: Paging = Depends(), service_id: uuid.UUID | None = Query(None),
                      principal: Principal = Depends(current_principal)):
    """The organisation's agents (optionally of one service)."""
    return await queries.list_agents(db=get_db(request), organisation_id=principal.organisation.id,
                                     page=paging.page, per_page=paging.per_page, service_id=service_id)


@router.post("/agents", status_code=201, response_model=AgentOut)
async def create_agent(body: AgentIn, request: Request, principal: Principal = Depends(current_principal)):
    """Add an agent (admins); the password follows the policy."""
    agent = await directory.create_agent(db=get_db(request), principal=principal, **body.model_dump())
    return agent.as_dict()


@router.get("/agents/{agent_id}", response_model=AgentOut)
async def get_agent(agent_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """One agent of the organisation."""
    agent = await queries.get_agent(db=get_db(request), organisation_id=principal.organisation.id,
                                    agent_id=agent_id)
    return agent.as_dict()


@router.patch("/agents/{agent_id}", response_model=AgentOut)
async def patch_agent(agent_id: uuid.UUID, body: AgentPatch, request: Request,
                      principal: Principal = Depends(current_principal)):
    """Change an agent (admins); an agent may change their own names, email and password."""
    agent = await directory.update_agent(db=get_db(request), principal=principal, agent_id=agent_id,
                                         changes=body.model_dump(exclude_unset=True))
    return agent.as_dict()


@router.delete("/agents/{agent_id}", status_code=204)
async def delete_agent(agent_id: uuid.UUID, request: Request, principal: Principal = Depends(current_principal)):
    """Remove an agent (admins): their sessions end."""
    await directory.delete_agent(db=get_db(request), principal=principal, agent_id=agent_id)
    return Response(status_code=204)
