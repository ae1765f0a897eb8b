"""SQL `where` clause of a scope (viewer + filters) over `rdv_facts f`: psycopg pyformat parameters for the
export's own connection, or SQLAlchemy's named ones for the unit of work (`bind`)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Callable

from services.reporting.domain.scope import RdvFilters, Viewer
from shared.timeutil import day_bounds


def pyformat(name: str) -> str:
    return f"%({name})s"


def named(name: str) -> str:
    return f":{name}"


def scope_where(*, viewer: Viewer, filters: RdvFilters, timezone: str, today: date,
                bind: Callable[[str], str] = pyformat) -> tuple[str, dict]:
    """Return (`where ...` SQL, params). `today` (local) splits `unknown` into à venir / à renseigner."""
    p = bind
    tomorrow_start: datetime = day_bounds(today + timedelta(days=1), timezone)[0]
    clauses = [f"f.organisation_id = {p('org')}"]
    params: dict = {"org": viewer.organisation_id, "tomorrow": tomorrow_start}
    if not viewer.is_admin:
        clauses.append(f"(f.service_id = any({p('viewer_services')}) "
                       f"or f.agent_ids @> array[{p('viewer_agent')}]::uuid[])")
        params["viewer_services"] = list(viewer.service_ids)
        params["viewer_agent"] = viewer.agent_id
    if filters.agent_id:
        clauses.append(f"f.agent_ids @> array[{p('agent_id')}]::uuid[]")
        params["agent_id"] = filters.agent_id
    if filters.usager_id:
        clauses.append(f"f.usager_ids @> array[{p('usager_id')}]::uuid[]")
        params["usager_id"] = filters.usager_id
    for key in ("service_id", "motif_id", "lieu_id"):
        value = getattr(filters, key)
        if value:
            clauses.append(f"f.{key} = {p(key)}")
            params[key] = value
    if filters.from_day:
        clauses.append(f"f.starts_at >= {p('from_at')}")
        params["from_at"] = day_bounds(filters.from_day, timezone)[0]
    if filters.to_day:
        clauses.append(f"f.starts_at < {p('to_at')}")
        params["to_at"] = day_bounds(filters.to_day, timezone)[1]
    if filters.statuses:
        parts = []
        plain = [s for s in filters.statuses if s not in ("a_venir", "a_renseigner")]
        if plain:
            parts.append(f"f.status = any({p('statuses')})")
            params["statuses"] = plain
        if "a_venir" in filters.statuses:
            parts.append(f"(f.status = 'unknown' and f.starts_at >= {p('tomorrow')})")
        if "a_renseigner" in filters.statuses:
            parts.append(f"(f.status = 'unknown' and f.starts_at < {p('tomorrow')})")
        clauses.append("(" + " or ".join(parts) + ")")
    return "where " + " and ".join(clauses), params
