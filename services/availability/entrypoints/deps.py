"""FastAPI dependencies shared by the routes: the unit of work, the caller, pagination."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Depends, Query, Request

from services.availability.service_layer.unit_of_work import unit_of_work
from shared.db import Database
from shared.errors import ValidationFailed
from shared.identity import Identity, current_identity


# Dependencies are `async def`: FastAPI runs a plain `def` one in a worker thread, a thread hop per request.
def database_of(request: Request) -> Database:
    return request.app.state.runtime.db


async def database(request: Request) -> Database:
    return database_of(request)


async def uow(db: Database = Depends(database)):
    async with unit_of_work(db) as unit:
        yield unit


@dataclass
class Page:
    page: int
    per_page: int


async def page(page: int = Query(1, ge=1, le=1_000_000), per_page: int = Query(50, ge=1, le=200)) -> Page:
    return Page(page, per_page)


def listing(items: list, total: int, p: Page) -> dict:
    return {"items": items, "total": total, "page": p.page, "per_page": p.per_page}


def uuid_list(raw: str | None, field: str) -> list[uuid.UUID] | None:
    """`a,b,c` -> UUIDs (None when absent); 422 on a malformed one."""
    if raw is None:
        return None
    try:
        return [uuid.UUID(part.strip()) for part in raw.split(",") if part.strip()]
    except ValueError as exc:
        raise ValidationFailed(details={"fields": {field: "Une liste d'identifiants (UUID) séparés par des "
                                                          "virgules est attendue."}}) from exc


Caller = Depends(current_identity)
__all__ = ["Caller", "Identity", "Page", "database", "database_of", "listing", "page", "uow", "uuid_list"]
