"""The agents' web UI (server-rendered page shells + small JS modules calling /api/v1), served by the gateway."""
from fastapi import APIRouter

from gateway.web import assets, events, pages, public

router = APIRouter(include_in_schema=False)
router.include_router(assets.router)
router.include_router(events.router)
router.include_router(public.router)
router.include_router(pages.router)
