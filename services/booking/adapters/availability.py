"""HTTP client of availability's `POST /internal/check` (docs/internal.md).

Availability says whether a slot lies in an open plage, outside absences and holidays,
and returns the motif (its service and duration). It does not look at busy intervals:
the booking database's exclusion constraint does.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.errors import AppError, ServiceUnavailable
from shared.identity import Identity
from shared.service_client import ServiceClient, Timeouts
from shared.timeutil import parse_instant

UNAVAILABLE = "Le service des disponibilités ne répond pas. Réessayez dans un instant."


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
    # With `all_reasons`: the code of every refusal (each agent's, holiday first), not only the first.
    reasons: tuple[str, ...] = ()


class AvailabilityClient:
    """Availability's check over the platform's one service client: kept-alive connections, round-robin over
    the replicas given comma-separated, sent again after a stale connection (the check changes nothing)."""

    def __init__(self, base_url: str, *, timeout: float = 5.0):
        urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        self._client = ServiceClient("availability", urls,
                                     timeout=Timeouts(read=timeout, connect=min(timeout, 2.0)))

    async def close(self) -> None:
        await self._client.aclose()

    async def check(self, *, identity: Identity, motif_id: uuid.UUID, lieu_id: uuid.UUID | None,
                    agent_ids, starts_at: datetime, duration_minutes: int | None,
                    public: bool = False, all_reasons: bool = False) -> CheckResult:
        body = {"agent_ids": [str(a) for a in agent_ids], "lieu_id": str(lieu_id) if lieu_id else None,
                "motif_id": str(motif_id), "starts_at": starts_at.isoformat(),
                "duration_minutes": duration_minutes}
        if public:
            body["public"] = True
        if all_reasons:
            body["all_reasons"] = True
        try:
            answer = await self._client.request("POST", "/internal/check", identity=identity, json=body, replay=True)
        except ServiceUnavailable as exc:
            raise ServiceUnavailable(UNAVAILABLE, details={"service": "availability"}) from exc
        status = answer.status_code
        if status >= 500 or status in (401, 403):
            raise ServiceUnavailable(UNAVAILABLE, details={"service": "availability", "status": status})
        try:
            payload = answer.json()
        except ValueError as exc:
            raise ServiceUnavailable(details={"service": "availability"}) from exc
        if status != 200:
            # e.g. 422 unknown_motif / unknown_lieu / validation_error: passed on as is.
            error = payload.get("error") or {}
            raise AppError(error.get("message") or "Requête refusée par le service des disponibilités.",
                           code=error.get("code") or "validation_error", status=status,
                           details=error.get("details") or {})
        motif = payload.get("motif") or {}
        return CheckResult(
            ok=bool(payload.get("ok")), code=payload.get("code"), message=payload.get("message"),
            details=payload.get("details") or {},
            ends_at=parse_instant(payload["ends_at"]) if payload.get("ends_at") else None,
            service_id=uuid.UUID(motif["service_id"]) if motif.get("service_id") else None,
            duration_minutes=motif.get("duration_minutes"),
            agent_ids=tuple(uuid.UUID(a) for a in payload.get("agent_ids") or ()),
            reasons=tuple(r["code"] for r in payload.get("reasons") or ()))
