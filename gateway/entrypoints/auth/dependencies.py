"""FastAPI dependencies: the caller (bearer token or session cookie + CSRF) and the identity it forwards.

The session is looked up once per request (`authenticate_scope`): the idempotency middleware, which needs
the caller before the route runs, and the route's dependency share the outcome kept in the scope.
"""
from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import dataclass

from fastapi import Depends, Request

from gateway.domain.model import Principal
from gateway.entrypoints.auth.credentials import CSRF_FIELD, CSRF_HEADER, credentials
from gateway.entrypoints.request_state import AGENTS_KEY, CALLER_KEY, POSITIONS_KEY, PRINCIPAL_KEY
from gateway.service_layer import auth
from gateway.service_layer.idempotency import Keyed
from shared.errors import Forbidden, Unauthorized
from shared.identity import Identity

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
MAX_NAMED_AGENTS = 100


@dataclass(frozen=True)
class Caller:
    principal: Principal
    named: frozenset[uuid.UUID]  # agent ids checked with the lookup
    known: frozenset[uuid.UUID]  # those of them that are agents of the caller's organisation
    claimed: bool = False  # the lookup also claimed the request's Idempotency-Key (it was new)


def named_agent_ids(body: bytes) -> list[uuid.UUID]:
    """The `agent_ids` a JSON body names, peeked at so that the caller's lookup also checks them
    (validation, and its 422, stay with the route)."""
    try:
        return agent_ids_in(json.loads(body))
    except ValueError:  # no body, not JSON: the route's validation answers
        return []


def agent_ids_in(document) -> list[uuid.UUID]:
    """The `agent_ids` of a parsed JSON body ([] when it has no list of ids)."""
    try:
        return [uuid.UUID(str(a)) for a in document["agent_ids"]][:MAX_NAMED_AGENTS]
    except Exception:  # not an object, no list of ids: the route's validation answers
        return []


async def authenticate_scope(scope, *, agent_ids: list[uuid.UUID] = (), claim: Keyed | None = None) -> Caller:
    """The caller of this request, with which of `agent_ids` belong to its organisation; 401 without a
    live session. Looked up at the first call, kept in the scope for the next (one lookup a request):
    the agent ids checked are those of the first call. With `claim` (the idempotency middleware), the
    lookup also claims the request's Idempotency-Key for the caller (`Caller.claimed`)."""
    outcome = scope.get(CALLER_KEY)
    if outcome is None:
        found = credentials(scope)
        try:
            if found is None:
                raise Unauthorized()
            db = scope["app"].state.runtime.db
            if claim is None:
                principal, known = await auth.authenticate(db=db, token=found.token, via_cookie=found.via_cookie,
                                                           agent_ids=agent_ids)
                claimed = False
            else:
                principal, known, claimed = await auth.authenticate_claiming(
                    db=db, token=found.token, via_cookie=found.via_cookie, agent_ids=agent_ids, claim=claim)
            outcome = Caller(principal, frozenset(agent_ids), frozenset(known), claimed)
        except Unauthorized as exc:
            outcome = exc
        scope[CALLER_KEY] = outcome
    if isinstance(outcome, Unauthorized):
        raise outcome
    return outcome


async def _csrf_ok(request: Request, expected: str) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        sent = form.get(CSRF_FIELD)
    return isinstance(sent, str) and hmac.compare_digest(sent, expected)


async def _principal(request: Request, agent_ids: list[uuid.UUID] = ()) -> Principal:
    caller = await authenticate_scope(request.scope, agent_ids=agent_ids)
    principal = caller.principal
    if principal.via_cookie and request.method not in SAFE_METHODS \
            and not await _csrf_ok(request, principal.csrf_token):
        raise Forbidden("Jeton CSRF manquant ou invalide.", code="csrf_failed")
    request.scope[PRINCIPAL_KEY] = principal
    request.scope[POSITIONS_KEY] = dict(principal.positions)
    if caller.named:
        request.scope[AGENTS_KEY] = (set(caller.named), set(caller.known))
    return principal


async def current_principal(request: Request) -> Principal:
    """The authenticated agent: `Authorization: Bearer <token>`, or the session cookie (+ CSRF on writes)."""
    return await _principal(request)


async def principal_naming_agents(request: Request) -> Principal:
    """`current_principal` for routes whose JSON body names `agent_ids`: the statement that reads the
    caller also reads which of them belong to its organisation, so that `ensure_agents` needs no query."""
    try:
        document = await request.json()  # parsed once: Starlette keeps it for the route's body model
    except ValueError:
        return await _principal(request)
    return await _principal(request, agent_ids_in(document))


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
