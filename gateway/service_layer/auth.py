"""Use cases of authentication: log in, authenticate a request, log out."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.adapters.hashing import verify_password
from gateway.domain.model import Agent, Organisation, Principal, normalise_email
from gateway.domain.tokens import IDLE_EXPIRY, TOUCH_EVERY, hash_token, is_idle_expired, new_token
from gateway.service_layer.idempotency import Keyed
from gateway.service_layer.unit_of_work import unit_of_work
from shared import clock
from shared.db import Database
from shared.errors import AppError, Unauthorized

MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(minutes=15)


class InvalidCredentials(AppError):
    status = 401
    code = "invalid_credentials"
    message = "Adresse e-mail ou mot de passe incorrect."


class TooManyAttempts(AppError):
    status = 429
    code = "too_many_attempts"
    message = "Trop de tentatives de connexion. Réessayez dans 15 minutes."


@dataclass
class LoginResult:
    token: str
    csrf_token: str
    agent: Agent
    principal: Principal


async def login(*, db: Database, email: str, password: str, ip: str, user_agent: str | None,
                previous_token: str | None = None) -> LoginResult:
    """Check the credentials (throttled per email+IP) and open a new session.

    A session presented with the request (cookie) is revoked: the session id is renewed at
    every login, so a planted cookie never becomes an authenticated one.
    """
    email = normalise_email(email)
    now = clock.now()
    async with unit_of_work(db) as uow:
        # Serialise the attempts of one email+IP so that 10 failures really means 10.
        await uow.throttle.lock_key(key=f"login:{email}|{ip}")
        if await uow.throttle.recent_failures(email=email, ip=ip, since=now - FAILURE_WINDOW) >= MAX_FAILURES:
            raise TooManyAttempts(details={"retry_after_seconds": int(FAILURE_WINDOW.total_seconds())})
        found = await uow.directory.get_credentials(email=email)
        ok = await verify_password(found[1] if found else None, password)
        await uow.throttle.record_attempt(email=email, ip=ip, now=now, success=ok)
        if not ok or not found:
            await uow.commit()
            raise InvalidCredentials()
        agent = found[0]
        org = await uow.directory.get_organisation(organisation_id=agent.organisation_id)
        if previous_token:
            prev = await uow.sessions.find_session(token_hash=hash_token(previous_token))
            if prev:
                await uow.sessions.revoke_session(session_id=prev.id, now=now)
        token, csrf, session_id = new_token(), secrets.token_urlsafe(24), uuid.uuid4()
        await uow.sessions.add_session(session_id=session_id, token_hash=hash_token(token), csrf_token=csrf,
                                agent_id=agent.id, organisation_id=agent.organisation_id, now=now, ip=ip,
                                user_agent=user_agent)
        await uow.commit()
    principal = Principal(agent=agent, organisation=org, session_id=session_id, csrf_token=csrf, via_cookie=False)
    return LoginResult(token=token, csrf_token=csrf, agent=agent, principal=principal)


async def authenticate(*, db: Database, token: str, via_cookie: bool,
                       agent_ids: list[uuid.UUID] = ()) -> tuple[Principal, set[uuid.UUID]]:
    """Return the caller of a session token; 401 when unknown, revoked or idle for 14 days.

    One statement reads the session, its agent and organisation (the hot path of every call), and
    which of `agent_ids` are agents of that organisation (returned with the principal)."""
    now = clock.now()
    async with unit_of_work(db, autocommit=True) as uow:
        row = await uow.sessions.find_caller(token_hash=hash_token(token), agent_ids=agent_ids)
        return await _caller_of(uow, row, now=now, via_cookie=via_cookie)


async def authenticate_claiming(*, db: Database, token: str, via_cookie: bool, agent_ids: list[uuid.UUID] = (),
                                claim: Keyed) -> tuple[Principal, set[uuid.UUID], bool]:
    """`authenticate`, claiming in the same statement the Idempotency-Key of the caller's write (`agent:<id>`):
    also return whether the key was new. A caller refused (401) has claimed nothing."""
    now = clock.now()
    async with unit_of_work(db, autocommit=True) as uow:
        row = await uow.sessions.find_caller_claiming(
            token_hash=hash_token(token), agent_ids=agent_ids, key=claim.key, method=claim.method,
            path=claim.path, body_hash=claim.body_hash, now=now, fresh_since=now - IDLE_EXPIRY)
        principal, known = await _caller_of(uow, row, now=now, via_cookie=via_cookie)
    return principal, known, row.claimed


async def _caller_of(uow, row, *, now: datetime, via_cookie: bool) -> tuple[Principal, set[uuid.UUID]]:
    if not row:
        raise Unauthorized("Session inconnue ou terminée. Connectez-vous.")
    if is_idle_expired(row.last_seen_at, now):
        await uow.sessions.revoke_session(session_id=row.session_id, now=now)
        raise Unauthorized("Session expirée après 14 jours d'inactivité. Connectez-vous.")
    if row.agent_found is None:
        raise Unauthorized("Ce compte n'existe plus.")
    if now - row.last_seen_at > TOUCH_EVERY:
        await uow.sessions.touch_session(session_id=row.session_id, now=now)
    agent = Agent(id=row.agent_found, organisation_id=row.agent_organisation_id, email=row.agent_email,
                  first_name=row.agent_first_name, last_name=row.agent_last_name, role=row.agent_role,
                  service_ids=tuple(row.agent_service_ids))
    org = Organisation(id=row.org_id, name=row.org_name, slug=row.org_slug, timezone=row.org_timezone,
                       holiday_zone=row.org_holiday_zone, publish_online=row.org_publish_online,
                       holiday_observances=row.org_holiday_observances, contact_email=row.org_contact_email)
    principal = Principal(agent=agent, organisation=org, session_id=row.session_id, csrf_token=row.csrf_token,
                          via_cookie=via_cookie, positions=dict(row.org_positions or {}))
    return principal, set(row.known_agent_ids or ())


async def logout(*, db: Database, principal: Principal) -> None:
    """Revoke the caller's session: its token and cookie stop working at once."""
    async with unit_of_work(db) as uow:
        await uow.sessions.revoke_session(session_id=principal.session_id, now=clock.now())
        await uow.commit()
