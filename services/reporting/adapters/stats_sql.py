"""Counting RDV facts by status and by one dimension (SQL over `rdv_facts f`, in the unit of work)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import text

from services.reporting.adapters.scope_sql import named, scope_where
from services.reporting.domain.scope import RdvFilters, Viewer
from shared.db import UnitOfWork

GROUPS: dict[str, tuple[str, str, str]] = {
    # group_by: (key expression, label expression, extra joins)
    "status": ("f.status", "null", ""),
    "motif": ("f.motif_id::text", "m.name", "left join motifs m on m.id = f.motif_id"),
    "service": ("f.service_id::text", "s.name", "left join services s on s.id = f.service_id"),
    "agent": ("a.agent_id::text",
              "nullif(trim(concat_ws(' ', ag.first_name, ag.last_name)), '')",
              "cross join lateral unnest(f.agent_ids) as a(agent_id) left join agents ag on ag.id = a.agent_id"),
    "lieu": ("f.lieu_id::text", "l.name", "left join lieux l on l.id = f.lieu_id"),
    "location_type": ("m.location_type", "null", "left join motifs m on m.id = f.motif_id"),
    "week": ("to_char(date_trunc('week', f.starts_at at time zone :tz), 'YYYY-MM-DD')", "null", ""),
    "origin": ("f.origin", "null", ""),
}


def totals_sql(where: str) -> str:
    return (f"select f.status, (f.status = 'unknown' and f.starts_at >= :tomorrow) as future, count(*) "
            f"from rdv_facts f {where} group by 1, 2")


def groups_sql(group_by: str, where: str) -> str:
    key, label, joins = GROUPS[group_by]
    return (f"select {key} as key, max({label}) as label, f.status, count(*) "
            f"from rdv_facts f {joins} {where} group by 1, 3")


class StatsRepository:
    """The counts behind GET /v1/stats."""

    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def counts(self, *, viewer: Viewer, filters: RdvFilters, timezone: str, today: date,
                     group_by: str) -> tuple[list, list]:
        """(status, future, count) rows over the scope, and (key, label, status, count) rows by `group_by`;
        `today` (local) tells a future RDV of status unknown from one to fill in."""
        where, params = scope_where(viewer=viewer, filters=filters, timezone=timezone, today=today, bind=named)
        params["tz"] = timezone
        totals = (await self._uow.execute(text(totals_sql(where)), params)).all()
        grouped = (await self._uow.execute(text(groups_sql(group_by, where)), params)).all()
        return totals, grouped
