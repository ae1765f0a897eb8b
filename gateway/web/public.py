"""The public booking page's catalogue: what an usager may book online (no authentication).

The contract gives the public créneaux and booking routes but no list of motifs and lieux;
this JSON route completes it for the page: the organisation (name, timezone), motifs with
`reservable_online`, and the organisation's lieux. 404 when the slug is unknown or the
organisation does not publish online.
"""
from __future__ import annotations

from fastapi import APIRouter, Request

from shared.identity import Identity

router = APIRouter()

PUBLIC_MOTIF_FIELDS = ("id", "name", "duration_minutes", "location_type", "color",
                       "min_booking_delay_minutes", "max_booking_delay_days")


async def _items(request: Request, path: str, identity: Identity) -> list[dict]:
    from gateway.entrypoints.proxy.forward import call

    resp = await call(request, "availability", "GET", path, identity=identity, params={"per_page": 200})
    body = resp.json() if resp.status_code == 200 else {}
    return body.get("items", []) if isinstance(body, dict) else []


async def catalogue(request: Request, slug: str) -> dict:
    """The published organisation, its online motifs and its lieux (NotFound if not published)."""
    from gateway.entrypoints.proxy.public import published_organisation

    org = await published_organisation(request, slug)
    identity = Identity(kind="public", organisation_id=org.id, timezone=org.timezone, holiday_zone=org.holiday_zone,
                        holiday_observances=org.holiday_observances)
    motifs = [{k: m.get(k) for k in PUBLIC_MOTIF_FIELDS}
              for m in await _items(request, "/v1/motifs", identity) if m.get("reservable_online")]
    lieux = [{k: lieu.get(k) for k in ("id", "name", "address", "phone")}
             for lieu in await _items(request, "/v1/lieux", identity)]
    return {"organisation": {"name": org.name, "slug": org.slug, "timezone": org.timezone},
            "motifs": motifs, "lieux": lieux}


@router.get("/prendre-rdv/{slug}/catalogue")
async def public_catalogue(request: Request, slug: str) -> dict:
    """Motifs bookable online and lieux of a published organisation."""
    return await catalogue(request, slug)
