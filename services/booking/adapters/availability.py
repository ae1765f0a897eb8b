"""HTTP client of availability's `POST /internal/check` (docs/internal.md).

Availability says whether a slot lies in an open plage, outside absences and holidays,
and returns the motif (its service and duration). It does not look at busy intervals:
the booking database's exclusion constraint does.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import httpx

from shared.errors import AppError, ServiceUnavailable
from shared.identity import Identity, headers_for
from shared.timeutil import parse_instant


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    code: str | None
    message: str | None
    details: dict
    ends_at: datetime | None
    service_id: uuid.UUID | None
    duration_minutes: int | None
    agent_ids: tuple[uuid.UUID, ...]


class AvailabilityClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None):
        # Several replicas may be given comma-separated; each request picks the next one.
        self._urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        self._next = 0
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport,
                                         limits=httpx.Limits(max_connections=64, max_keepalive_connections=64))

    async def close(self) -> None:
        await self._client.aclose()

    def _url(self) -> str:
        self._next = (self._next + 1) % len(self._urls)
        return self._urls[self._next]

    async def check(self, *, identity: Identity, motif_id: uuid.UUID, lieu_id: uuid.UUID | None,
                    agent_ids, starts_at: datetime, duration_minutes: int | None,
                    public: bool = False) -> CheckResult:
        body = {"agent_ids": [str(a) for a in agent_ids], "lieu_id": str(lieu_id) if lieu_id else None,
                "motif_id": str(motif_id), "starts_at": starts_at.isoformat(),
                "duration_minutes": duration_minutes}
        if public:
            body["public"] = True
        try:
            resp = await self._client.post(self._url() + "/internal/check", json=body,
                                           headers=headers_for(identity))
        except httpx.HTTPError as exc:
            raise ServiceUnavailable("Le service des disponibilités ne répond pas. Réessayez dans un instant.",
                                     details={"service": "availability"}) from exc
        if resp.status_code >= 500 or resp.status_code in (401, 403):
            raise ServiceUnavailable("Le service des disponibilités ne répond pas. Réessayez dans un instant.",
                                     details={"service": "availability", "status": resp.status_code})
        try:
            payload = resp.json()
        except ValueError as exc:
            raise ServiceUnavailable(details={"service": "availability"}) from exc
        if resp.status_code != 200:
            # e.g. 422 unknown_motif / unknown_lieu / validation_error: passed on as is.
            error = payload.get("error") or {}
            raise AppError(error.get("message") or "Requête refusée par le service des disponibilités.",
                           code=error.get("code") or "validation_error", status=resp.status_code,
                           details=error.get("details") or {})
        motif = payload.get("motif") or {}
        return CheckResult(
            ok=bool(payload.get("ok")), code=payload.get("code"), message=payload.get("message"),
            details=payload.get("details") or {},
            ends_at=parse_instant(payload["ends_at"]) if payload.get("ends_at") else None,
            service_id=uuid.UUID(motif["service_id"]) if motif.get("service_id") else None,
            duration_minutes=motif.get("duration_minutes"),
            agent_ids=tuple(uuid.UUID(a) for a in payload.get("agent_ids") or ()))
