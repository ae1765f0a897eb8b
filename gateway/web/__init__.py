"""The agents' web UI (server-rendered pages), served by the gateway."""
from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
