"""Statistics over the RDV facts: totals by status and counts by one dimension."""
from __future__ import annotations

from datetime import date, datetime

from services.reporting.domain.labels import (DISPLAY_STATUSES, STATUSES, UNKNOWN_LABEL, location_type_label,
                                              origin_label, status_label, week_label)
from services.reporting.domain.scope import RdvFilters, Viewer
from services.reporting.service_layer.unit_of_work import ReportingUnitOfWork
from shared.timeutil import iso, local_day

GROUP_BY = ("status", "motif", "service", "agent", "lieu", "location_type", "week", "origin")


def _label(group_by: str, key: str | None, name: str | None) -> str:
    if group_by == "status":
        return status_label(key)
    if group_by == "location_type":
        return location_type_label(key)
    if group_by == "origin":
        return origin_label(key)
    if group_by == "week":
        return week_label(date.fromisoformat(key)) if key else UNKNOWN_LABEL
    return name or UNKNOWN_LABEL


async def compute_stats(*, uow: ReportingUnitOfWork, viewer: Viewer, filters: RdvFilters, timezone: str,
                        group_by: str, now: datetime, as_of: datetime | None = None) -> dict:
    """Count the RDVs the viewer can see, by status and grouped by `group_by`; `as_of`: the instant up to
    which every write is counted (default `now`)."""
    async with uow:
        totals, grouped = await uow.stats.counts(viewer=viewer, filters=filters, timezone=timezone,
                                                 today=local_day(now, timezone), group_by=group_by)
    by_status, by_display = _by_status(totals)
    return {"total": sum(by_status.values()), "by_status": by_status, "by_display_status": by_display,
            "group_by": group_by, "groups": _groups(group_by, grouped), "as_of": iso(as_of or now, timezone)}


def _by_status(totals) -> tuple[dict, dict]:
    """Counts by status, and by displayed status (unknown: à venir or à renseigner)."""
    by_status = dict.fromkeys(STATUSES, 0)
    by_display = dict.fromkeys(DISPLAY_STATUSES, 0)
    for status, future, count in totals:
        by_status[status] = by_status.get(status, 0) + count
        display = ("a_venir" if future else "a_renseigner") if status == "unknown" else status
        by_display[display] = by_display.get(display, 0) + count
    return by_status, by_display


def _groups(group_by: str, grouped) -> list[dict]:
    """One group per key with its count by status, labelled and in the order charts show them."""
    groups: dict = {}
    if group_by == "status":
        for status in STATUSES:  # every status, even at 0: a stable shape for charts
            groups[status] = {"key": status, "label": None, "count": 0, "by_status": dict.fromkeys(STATUSES, 0)}
    for key, name, status, count in grouped:
        group = groups.setdefault(key, {"key": key, "label": name, "count": 0,
                                        "by_status": dict.fromkeys(STATUSES, 0)})
        group["label"] = group["label"] or name
        group["count"] += count
        group["by_status"][status] = group["by_status"].get(status, 0) + count
    items = list(groups.values())
    for group in items:
        group["label"] = _label(group_by, group["key"], group["label"])
    if group_by == "week":
        items.sort(key=lambda g: g["key"] or "")
    elif group_by != "status":
        items.sort(key=lambda g: (-g["count"], g["label"]))
    return items
