"""FastAPI dependencies: the database, the caller (bearer token or session cookie + CSRF), paging."""
from __future__ import annotations

import hmac
import uuid

from fastapi import Depends, Query, Request

from gateway.adapters import repository as repo
from gateway.domain.model import Principal
from gateway.service_layer import auth
from shared.db import Database
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.identity import Identity

SESSION_COOKIE = "rdv_session"
CSRF_COOKIE = "rdv_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PRINCIPAL_KEY = "rdv.principal"
AGENTS_KEY = "rdv.agents_checked"  # (agent ids named by the body, those of them in the organisation)
POSITIONS_KEY = "rdv.read_positions"  # the organisation's read positions (reads after writes)


def get_db(request: Request) -> Database:
    return request.app.state.runtime.db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    return isinstance(sent, str) and hmac.compare_digest(sent, expected)


async def _principal(request: Request, agent_ids: list[uuid.UUID] = ()) -> Principal:
    token, via_cookie = bearer_token(request), False
    if token is None:
        token, via_cookie = request.cookies.get(SESSION_COOKIE), True
    if not token:
        raise Unauthorized()
    principal, known = await auth.authenticate(db=get_db(request), token=token, via_cookie=via_cookie,
                                               agent_ids=agent_ids)
    if via_cookie and request.method not in SAFE_METHODS and not await _csrf_ok(request, principal.csrf_token):
        raise Forbidden("Jeton CSRF manquant ou invalide.", code="csrf_failed")
    request.scope[PRINCIPAL_KEY] = principal
    request.scope[POSITIONS_KEY] = dict(principal.positions)
    if agent_ids:
        request.scope[AGENTS_KEY] = (set(agent_ids), known)
    return principal


async def current_principal(request: Request) -> Principal:
    """The authenticated agent: `Authorization: Bearer <token>`, or the session cookie (+ CSRF on writes)."""
    return await _principal(request)


async def principal_naming_agents(request: Request) -> Principal:
    """`current_principal` for routes whose JSON body names `agent_ids`: the statement that reads the
    caller also reads which of them belong to its organisation, so that `ensure_agents` needs no query.
    The body is only peeked at here (validation, and its 422, stay with the route)."""
    return await _principal(request, await _body_agent_ids(request))


async def _body_agent_ids(request: Request) -> list[uuid.UUID]:
    try:
        data = await request.json()
        return [uuid.UUID(str(a)) for a in data["agent_ids"]][:100]
    except Exception:  # no body, not JSON, no list of ids: the route's validation answers
        return []


async def admin_principal(principal: Principal = Depends(current_principal)) -> Principal:
    if not principal.is_admin:
        raise Forbidden("Cette action est réservée aux administrateurs.")
    return principal


def identity_of(principal: Principal) -> Identity:
    """The signed identity every forwarded call carries."""
    return Identity(kind="agent", organisation_id=principal.organisation.id, agent_id=principal.agent.id,
                    role=principal.agent.role, service_ids=list(principal.agent.service_ids),
                    timezone=principal.organisation.timezone, holiday_zone=principal.organisation.holiday_zone,
                    holiday_observances=principal.organisation.holiday_observances)


class Paging:
    def __init__(self, page: int = Query(1, ge=1, le=100_000), per_page: int = Query(50, ge=1, le=200)):
        self.page = page
        self.per_page = per_page


async def ensure_agents(request: Request, principal: Principal, agent_ids) -> None:
    """404 unless every agent id belongs to the caller's organisation (services trust them after this)."""
    ids = [uuid.UUID(str(a)) for a in agent_ids if a is not None]
    if not ids:
        return
    checked, found = request.scope.get(AGENTS_KEY) or ((), set())
    if not set(ids) <= set(checked):  # not read with the caller: read now
        async with get_db(request).statements() as st:
            found = await repo.existing_agent_ids(uow=st, organisation_id=principal.organisation.id,
                                                  agent_ids=ids)
    if set(ids) - found:
        raise NotFound("Agent introuvable dans votre organisation.",
                       details={"agent_ids": [str(i) for i in ids if i not in found]})


async def ensure_services(request: Request, principal: Principal, service_ids) -> None:
    """404 unless every service id belongs to the caller's organisation."""
    ids = [uuid.UUID(str(s)) for s in service_ids if s is not None]
    if not ids:
        return
    async with get_db(request).statements() as st:
        found = await repo.existing_service_ids(uow=st, organisation_id=principal.organisation.id, service_ids=ids)
    if set(ids) - found:
        raise NotFound("Service introuvable dans votre organisation.",
                       details={"service_ids": [str(i) for i in ids if i not in found]})
