"""Comparing the answers of two paths to one use case (the hot route and the plain route, shared.web.hot)."""
from __future__ import annotations

import httpx

_OWN_FIELDS = ("id", "starts_at", "ends_at", "created_at", "updated_at")


def comparable_create(resp: httpx.Response, created: list[str], *, headers=("content-type",)):
    """A create's answer but for what differs between two slots: the RDV's own id and times, and which RDV of
    its own path a refusal names (by its rank among that path's creates, kept in `created`)."""
    body = resp.json()
    if resp.status_code == 201:
        created.append(body["id"])
        body = {k: v for k, v in body.items() if k not in _OWN_FIELDS}
    details = body.get("error", {}).get("details", {})
    if details.get("rdv_id") in created:
        details["rdv_id"] = created.index(details["rdv_id"])
    return resp.status_code, body, {name: resp.headers.get(name) for name in headers}
