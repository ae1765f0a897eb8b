"""Bootstrap and authentication: POST /organisations (platform key), login, logout, me."""
from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Header, Request, Response

from gateway.domain.model import Principal
from gateway.domain.tokens import IDLE_EXPIRY
from gateway.entrypoints.auth.credentials import CSRF_COOKIE, SESSION_COOKIE, session_cookie
from gateway.entrypoints.auth.dependencies import current_principal
from gateway.entrypoints.common import client_ip, get_db
from gateway.entrypoints.request_state import PRINCIPAL_KEY
from gateway.schemas.common import STANDARD_ERRORS
from gateway.schemas.directory import LoginIn, LoginOut, MeOut, OrganisationCreate, OrganisationOut
from gateway.service_layer import auth, directory
from shared.errors import Unauthorized

router = APIRouter(prefix="/api/v1", responses=STANDARD_ERRORS)


def me_dict(principal: Principal) -> dict:
    return {**principal.agent.as_dict(), "organisation": principal.organisation.as_dict()}


@router.post("/organisations", status_code=201, response_model=OrganisationOut, tags=["annuaire"])
async def create_organisation(body: OrganisationCreate, request: Request,
                              x_platform_key: str | None = Header(default=None)):
    """Create an organisation with its first admin (needs X-Platform-Key)."""
    expected = request.app.state.runtime.settings.platform_key
    if not x_platform_key or not hmac.compare_digest(x_platform_key, expected):
        raise Unauthorized("Clé de plateforme absente ou invalide.", code="invalid_platform_key")
    org = await directory.create_organisation(db=get_db(request), name=body.name, timezone=body.timezone,
                                              holiday_zone=body.holiday_zone, admin=body.admin.model_dump())
    return org.as_dict()


@router.post("/auth/login", response_model=LoginOut, tags=["authentification"])
async def login(body: LoginIn, request: Request, response: Response):
    """Log in with email and password: a bearer token, plus the session and CSRF cookies."""
    result = await auth.login(db=get_db(request), email=body.email, password=body.password,
                              ip=client_ip(request), user_agent=request.headers.get("user-agent"),
                              previous_token=session_cookie(request.scope))
    secure = request.app.state.runtime.settings.env == "production"
    max_age = int(IDLE_EXPIRY.total_seconds())
    response.set_cookie(SESSION_COOKIE, result.token, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, result.csrf_token, max_age=max_age, httponly=False, samesite="lax",
                        secure=secure, path="/")
    request.scope[PRINCIPAL_KEY] = result.principal
    return {"token": result.token, "csrf_token": result.csrf_token, "agent": me_dict(result.principal)}


@router.post("/auth/logout", status_code=204, tags=["authentification"])
async def logout(request: Request, principal: Principal = Depends(current_principal)):
    """End the session: its token and cookie stop working at once."""
    await auth.logout(db=get_db(request), principal=principal)
    response = Response(status_code=204)
    secure = request.app.state.runtime.settings.env == "production"
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=secure, samesite="lax", httponly=name == SESSION_COOKIE)
    return response


@router.get("/me", response_model=MeOut, tags=["authentification"])
async def me(principal: Principal = Depends(current_principal)):
    """The logged-in agent, with their organisation, role and services."""
    return me_dict(principal)
