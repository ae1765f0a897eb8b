"""SQL `where` clause of a scope (viewer + filters) over `rdv_facts f`, psycopg pyformat parameters."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from services.reporting.domain.scope import RdvFilters, Viewer
from shared.timeutil import day_bounds


def scope_where(*, viewer: Viewer, filters: RdvFilters, timezone: str, today: date) -> tuple[str, dict]:
    """Return (`where ...` SQL, params). `today` (local) splits `unknown` into à venir / à renseigner."""
    tomorrow_start: datetime = day_bounds(today + timedelta(days=1), timezone)[0]
    clauses = ["f.organisation_id = %(org)s"]
    params: dict = {"org": viewer.organisation_id, "tomorrow": tomorrow_start}
    if not viewer.is_admin:
        clauses.append("(f.service_id = any(%(viewer_services)s) or f.agent_ids @> array[%(viewer_agent)s]::uuid[])")
        params["viewer_services"] = list(viewer.service_ids)
        params["viewer_agent"] = viewer.agent_id
    if filters.agent_id:
        clauses.append("f.agent_ids @> array[%(agent_id)s]::uuid[]")
        params["agent_id"] = filters.agent_id
    if filters.usager_id:
        clauses.append("f.usager_ids @> array[%(usager_id)s]::uuid[]")
        params["usager_id"] = filters.usager_id
    for key in ("service_id", "motif_id", "lieu_id"):
        value = getattr(filters, key)
        if value:
            clauses.append(f"f.{key} = %({key})s")
            params[key] = value
    if filters.from_day:
        clauses.append("f.starts_at >= %(from_at)s")
        params["from_at"] = day_bounds(filters.from_day, timezone)[0]
    if filters.to_day:
        clauses.append("f.starts_at < %(to_at)s")
        params["to_at"] = day_bounds(filters.to_day, timezone)[1]
    if filters.statuses:
        parts = []
        plain = [s for s in filters.statuses if s not in ("a_venir", "a_renseigner")]
        if plain:
            parts.append("f.status = any(%(statuses)s)")
            params["statuses"] = plain
        if "a_venir" in filters.statuses:
            parts.append("(f.status = 'unknown' and f.starts_at >= %(tomorrow)s)")
        if "a_renseigner" in filters.statuses:
            parts.append("(f.status = 'unknown' and f.starts_at < %(tomorrow)s)")
        clauses.append("(" + " or ".join(parts) + ")")
    return "where " + " and ".join(clauses), params
