"""Demo data, created once through the gateway's public API (as an integrator would)."""
from __future__ import annotations

import logging

import httpx

from rdv.demo import DemoOptions, create_demo
from rdv.demo_data import DEMO_LOGINS

log = logging.getLogger("rdv.seed")


async def seed_if_needed(base_url: str, options: DemoOptions) -> bool:
    """Seed the demo organisation unless RDV_SEED=none or it already exists. Return True if present."""
    if not options.wanted:
        return False
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        email, password = DEMO_LOGINS["admin"]
        try:
            resp = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
        except httpx.HTTPError as exc:
            log.warning("seed: gateway unreachable: %s", exc)
            return False
        if resp.status_code == 200:
            return True
        try:
            await create_demo(client, options)
            return True
        except Exception as exc:  # the demo is a convenience: never block the start
            print(f"seed: les données de démonstration n'ont pas pu être créées: {exc!r}", flush=True)
            return False
