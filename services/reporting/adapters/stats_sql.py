"""Counting RDV facts by status and by one dimension (psycopg pyformat SQL over `rdv_facts f`)."""
from __future__ import annotations

from datetime import date

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
    "week": ("to_char(date_trunc('week', f.starts_at at time zone %(tz)s), 'YYYY-MM-DD')", "null", ""),
    "origin": ("f.origin", "null", ""),
}


def totals_sql(where: str) -> str:
    return (f"select f.status, (f.status = 'unknown' and f.starts_at >= %(tomorrow)s) as future, count(*) "
            f"from rdv_facts f {where} group by 1, 2")


def groups_sql(group_by: str, where: str) -> str:
    key, label, joins = GROUPS[group_by]
    return (f"select {key} as key, max({label}) as label, f.status, count(*) "
            f"from rdv_facts f {joins} {where} group by 1, 3")


def as_date(key: str | None) -> date | None:
    return date.fromisoformat(key) if key else None
