"""The public booking page's catalogue: what an usager may book online (no authentication).

The contract gives the public créneaux and booking routes but no list of motifs and lieux;
this JSON route completes it for the page: the organisation (name, timezone), motifs with
`reservable_online`, and the organisation's lieux. 404 when the slug is unknown or the
organisation does not publish online.
"""
from __future__ import annotations

import functools

from fastapi import APIRouter, Request

from gateway.entrypoints.proxy.forward import call
from gateway.entrypoints.proxy.public import public_identity, published_organisation
from gateway.service_layer import public_booking

router = APIRouter()


async def catalogue(request: Request, slug: str) -> dict:
    """The published organisation, its online motifs and its lieux (NotFound if not published)."""
    org = await published_organisation(request, slug)
    offer = await public_booking.catalogue(call=functools.partial(call, request), identity=public_identity(org))
    return {"organisation": {"name": org.name, "slug": org.slug, "timezone": org.timezone}, **offer}


@router.get("/prendre-rdv/{slug}/catalogue")
async def public_catalogue(request: Request, slug: str) -> dict:
    """Motifs bookable online and lieux of a published organisation."""
    return await catalogue(request, slug)
