"""What every route of the gateway may ask of a request: the database, the client's address, paging."""
from __future__ import annotations

from fastapi import Query, Request

from shared.db import Database


def get_db(request: Request) -> Database:
    return request.app.state.runtime.db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Paging:
    def __init__(self, page: int = Query(1, ge=1, le=100_000), per_page: int = Query(50, ge=1, le=200)):
        self.page = page
        self.per_page = per_page
