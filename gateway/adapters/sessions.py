"""Sessions, login attempts and rate-limit events in the gateway's database."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Text, and_, any_, bindparam, cast, delete, exists, func, insert, literal, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, UUID, aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as insert_or_skip

from gateway.adapters.positions import positions_of_organisation
from gateway.adapters.repository import lock_key
from gateway.adapters.tables import (agent_services, agents, idempotency_keys, login_attempts, organisations,
                                     rate_events, sessions)


def _caller_statement():
    service_ids = (select(func.coalesce(func.array_agg(aggregate_order_by(agent_services.c.service_id,
                                                                          agent_services.c.service_id)),
                                        text("'{}'::uuid[]")))
                   .where(agent_services.c.agent_id == agents.c.id).scalar_subquery())
    # Agent ids named by the request (an empty array when none) that belong to the caller's organisation.
    # They come as the text of a PostgreSQL array: psycopg dumps a Python list element by element, at several
    # times the CPU of one string, on every call.
    others = agents.alias("named")
    known = (select(func.array_agg(others.c.id))
             .where(others.c.organisation_id == agents.c.organisation_id, others.c.deleted_at.is_(None),
                    others.c.id == any_(cast(bindparam("agent_ids", type_=Text), ARRAY(UUID(as_uuid=True)))))
             .scalar_subquery())
    return (select(sessions.c.id.label("session_id"), sessions.c.agent_id, sessions.c.last_seen_at,
                   sessions.c.csrf_token, agents.c.id.label("agent_found"),
                   agents.c.organisation_id.label("agent_organisation_id"), agents.c.email.label("agent_email"),
                   agents.c.first_name.label("agent_first_name"), agents.c.last_name.label("agent_last_name"),
                   agents.c.role.label("agent_role"), service_ids.label("agent_service_ids"),
                   organisations.c.id.label("org_id"), organisations.c.name.label("org_name"),
                   organisations.c.slug.label("org_slug"), organisations.c.timezone.label("org_timezone"),
                   organisations.c.holiday_zone.label("org_holiday_zone"),
                   organisations.c.holiday_observances.label("org_holiday_observances"),
                   organisations.c.contact_email.label("org_contact_email"),
                   organisations.c.publish_online.label("org_publish_online"),
                   positions_of_organisation().label("org_positions"),
                   known.label("known_agent_ids"))
            .select_from(sessions.outerjoin(agents, and_(agents.c.id == sessions.c.agent_id,
                                                         agents.c.deleted_at.is_(None)))
                         .outerjoin(organisations, organisations.c.id == agents.c.organisation_id))
            .where(sessions.c.token_hash == bindparam("token_hash"), sessions.c.revoked_at.is_(None)))


def _caller_claiming_statement():
    """The caller's lookup that also claims an Idempotency-Key for the caller's agent (`agent:<id>`), when
    the session is live and not idle: a keyed write's two first round trips in one. `claimed` says whether
    the key was new (else the write's claim looks at the key's row, as without a session)."""
    caller = _caller_statement().cte("caller")
    claimed = (insert_or_skip(idempotency_keys)
               .from_select(["scope", "key", "method", "path", "body_hash", "state", "created_at"],
                            select(literal("agent:") + cast(caller.c.agent_found, Text), bindparam("key"),
                                   bindparam("method"), bindparam("path"), bindparam("body_hash"),
                                   literal("in_progress"), bindparam("now"))
                            .where(caller.c.agent_found.is_not(None),
                                   caller.c.last_seen_at >= bindparam("fresh_since")))
               .on_conflict_do_nothing().returning(idempotency_keys.c.key).cte("claimed"))
    return select(caller, exists(select(claimed.c.key)).label("claimed"))


_FIND_CALLER = _caller_statement()  # built once: it runs on every authenticated call
_FIND_CALLER_CLAIMING = _caller_claiming_statement()


class SessionRepository:
    """Sessions: one per login, found by its token's hash, revoked at logout or when the agent goes."""

    def __init__(self, uow):
        self._uow = uow

    async def add_session(self, *, session_id: uuid.UUID, token_hash: str, csrf_token: str,
                          agent_id: uuid.UUID, organisation_id: uuid.UUID, now: datetime,
                          ip: str | None, user_agent: str | None) -> None:
        await self._uow.execute(insert(sessions).values(
            id=session_id, token_hash=token_hash, csrf_token=csrf_token, agent_id=agent_id,
            organisation_id=organisation_id, created_at=now, last_seen_at=now, ip=ip,
            user_agent=(user_agent or "")[:300]))

    async def find_session(self, *, token_hash: str):
        stmt = select(sessions).where(sessions.c.token_hash == token_hash, sessions.c.revoked_at.is_(None))
        return (await self._uow.execute(stmt)).first()

    async def find_caller(self, *, token_hash: str, agent_ids: list[uuid.UUID] = ()):
        """The live session of a token with its agent (None once deleted), the agent's services and its
        organisation, in one statement: `session_id, agent_id, last_seen_at, csrf_token, agent_*, org_*`,
        and `known_agent_ids`: those of `agent_ids` that are agents of its organisation (None when none)."""
        params = {"token_hash": token_hash, "agent_ids": "{" + ",".join(str(a) for a in agent_ids) + "}"}
        return (await self._uow.execute(_FIND_CALLER, params)).first()

    async def find_caller_claiming(self, *, token_hash: str, agent_ids: list[uuid.UUID] = (), key: str,
                                   method: str, path: str, body_hash: str, now: datetime,
                                   fresh_since: datetime):
        """`find_caller`, claiming the Idempotency-Key `key` as in progress for the caller's agent when its
        session was seen since `fresh_since`; the row's `claimed` says whether the key was new."""
        params = {"token_hash": token_hash, "agent_ids": "{" + ",".join(str(a) for a in agent_ids) + "}",
                  "key": key, "method": method, "path": path, "body_hash": body_hash, "now": now,
                  "fresh_since": fresh_since}
        return (await self._uow.execute(_FIND_CALLER_CLAIMING, params)).first()

    async def touch_session(self, *, session_id: uuid.UUID, now: datetime) -> None:
        await self._uow.execute(update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now))

    async def revoke_session(self, *, session_id: uuid.UUID, now: datetime) -> None:
        await self._uow.execute(update(sessions)
                                .where(sessions.c.id == session_id, sessions.c.revoked_at.is_(None))
                                .values(revoked_at=now))

    async def revoke_agent_sessions(self, *, agent_id: uuid.UUID, now: datetime,
                                    keep: uuid.UUID | None = None) -> None:
        stmt = update(sessions).where(sessions.c.agent_id == agent_id, sessions.c.revoked_at.is_(None))
        if keep:
            stmt = stmt.where(sessions.c.id != keep)
        await self._uow.execute(stmt.values(revoked_at=now))


class ThrottleRepository:
    """Login attempts and rate-limit events (kept a day), counted under an advisory lock per key."""

    def __init__(self, uow):
        self._uow = uow

    async def lock_key(self, *, key: str) -> None:
        """Serialise the transactions that count one key (email+IP, a bucket) until they end."""
        await lock_key(self._uow, key)

    async def recent_failures(self, *, email: str, ip: str, since: datetime) -> int:
        """Failed logins for this email+IP since `since`, not counting those before the last success."""
        last_ok = select(func.max(login_attempts.c.at)).where(
            login_attempts.c.email == email, login_attempts.c.ip == ip, login_attempts.c.success.is_(True)
        ).scalar_subquery()
        stmt = select(func.count()).select_from(login_attempts).where(
            login_attempts.c.email == email, login_attempts.c.ip == ip, login_attempts.c.success.is_(False),
            login_attempts.c.at > since, login_attempts.c.at > func.coalesce(last_ok, since))
        return (await self._uow.execute(stmt)).scalar_one()

    async def record_attempt(self, *, email: str, ip: str, now: datetime, success: bool) -> None:
        await self._uow.execute(insert(login_attempts).values(email=email, ip=ip, at=now, success=success))
        await self._uow.execute(delete(login_attempts).where(login_attempts.c.at < now - timedelta(days=1)))

    async def count_rate_events(self, *, bucket: str, since: datetime) -> int:
        stmt = select(func.count()).select_from(rate_events).where(rate_events.c.bucket == bucket,
                                                                   rate_events.c.at > since)
        return (await self._uow.execute(stmt)).scalar_one()

    async def add_rate_event(self, *, bucket: str, now: datetime) -> None:
        await self._uow.execute(insert(rate_events).values(bucket=bucket, at=now))
        await self._uow.execute(delete(rate_events).where(rate_events.c.at < now - timedelta(days=1)))
