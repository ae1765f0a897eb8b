"""Agents' calendar feeds: a secret URL per agent, its iCalendar body and ETag.

The token is HMAC-SHA256(RDV_INTERNAL_SECRET, "calendar-feed:<agent>:<nonce>") (base64url): the database
holds the nonce and the token's SHA-256 only, so that `GET /me/calendar-feed` can show the same URL again
while a copy of the database alone opens no feed. Rotating draws a new nonce: the old token matches no
row at once. A feed body is composed from booking (the agent's RDVs, identity of that agent), availability
(motif and lieu names) and usagers (names, unless hidden); it is kept in process while the organisation's
read positions (every write through the gateway moves them), the local day and the feed's settings are the
same, so that a client polling every few minutes costs one indexed lookup and, unchanged, a 304.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable

from gateway.domain.calendar_ics import FeedRdv, feed_ics
from gateway.service_layer.unit_of_work import unit_of_work
from shared import clock
from shared.db import Database
from shared.errors import NotFound, ServiceUnavailable
from shared.identity import Identity
from shared.settings import internal_secret
from shared.timeutil import today

PAST = timedelta(days=31)  # "the past month"
FUTURE = timedelta(days=183)  # "the next six months"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")
ALL_STATUSES = "unknown,seen,noshow,excused,revoked"  # cancelled RDVs too: clients then drop them
CACHE_SIZE = 2048
CACHE_SECONDS = 3600.0  # a backstop for changes made without a write through the gateway (retention)


def token_for(agent_id: uuid.UUID, nonce: str) -> str:
    digest = hmac.new(internal_secret().encode(), f"calendar-feed:{agent_id}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def current(db: Database, agent_id: uuid.UUID, *, rotate: bool = False,
                  hide_usager_names: bool | None = None) -> tuple[str, bool]:
    """The agent's feed token (created on first use, new when `rotate`) and its hide_usager_names option."""
    now = clock.now()
    async with unit_of_work(db) as uow:
        row = await uow.calendar_feeds.get(agent_id=agent_id)
        if row is None or rotate:
            nonce = secrets.token_urlsafe(24)
            row = await uow.calendar_feeds.put(agent_id=agent_id, nonce=nonce, now=now, replace=rotate,
                                               token_hash=hash_token(token_for(agent_id, nonce)))
        token = token_for(agent_id, row["nonce"])
        changes = {}
        if row["token_hash"] != hash_token(token):  # RDV_INTERNAL_SECRET changed: the URL changes with it
            changes["token_hash"] = hash_token(token)
        if hide_usager_names is not None and hide_usager_names != row["hide_usager_names"]:
            changes["hide_usager_names"] = hide_usager_names
        if changes:
            await uow.calendar_feeds.update(agent_id=agent_id, now=now, **changes)
        await uow.commit()
    return token, changes.get("hide_usager_names", row["hide_usager_names"])


@dataclass
class Feed:
    etag: str
    body: bytes


# Reads a service for the feed: (service, path, identity, query) -> the service's answer (reads after writes).
Fetch = Callable[[str, str, Identity, dict], Awaitable[Any]]
_cache: OrderedDict[str, tuple[tuple, float, Feed]] = OrderedDict()


async def feed(*, db: Database, token: str, fetch: Fetch) -> Feed:
    """The feed of this token (404 when the token is unknown, rotated, or its agent deleted)."""
    if not _TOKEN.match(token):
        raise NotFound("Ce calendrier n'existe pas ou son lien a été renouvelé.")
    token_hash = hash_token(token)
    async with unit_of_work(db, autocommit=True) as uow:
        owner = await uow.calendar_feeds.owner_of(token_hash=token_hash)
    if owner is None:
        _cache.pop(token_hash, None)
        raise NotFound("Ce calendrier n'existe pas ou son lien a été renouvelé.")
    day = today(owner["timezone"])
    key = (json.dumps(owner["positions"] or {}, sort_keys=True), day, owner["feed_updated_at"],
           owner["first_name"], owner["last_name"], owner["organisation_name"])
    held = _cache.get(token_hash)
    if held and held[0] == key and time.monotonic() - held[1] < CACHE_SECONDS:
        _cache.move_to_end(token_hash)
        return held[2]
    body = await _compose(fetch, owner, day)
    result = Feed(etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"', body=body)
    _cache[token_hash] = (key, time.monotonic(), result)
    _cache.move_to_end(token_hash)
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return result


async def _compose(fetch: Fetch, owner, day) -> bytes:
    identity = Identity(kind="agent", organisation_id=owner["organisation_id"], agent_id=owner["agent_id"],
                        role=owner["role"], service_ids=list(owner["service_ids"] or []),
                        timezone=owner["timezone"], holiday_zone=owner["holiday_zone"])
    rdvs = await _pages(fetch, "booking", "/v1/rdvs", identity, {
        "agent_id": str(owner["agent_id"]), "status": ALL_STATUSES, "from": (day - PAST).isoformat(),
        "to": (day + FUTURE).isoformat()})
    motifs = {m["id"]: m["name"] for m in await _pages(fetch, "availability", "/v1/motifs", identity, {})}
    lieux = {x["id"]: x for x in await _pages(fetch, "availability", "/v1/lieux", identity, {})}
    names: dict[str, str] = {}
    if not owner["hide_usager_names"]:
        wanted = sorted({u for r in rdvs for u in r.get("usager_ids") or []})
        for start in range(0, len(wanted), 200):
            for u in await _pages(fetch, "usagers", "/v1/usagers", identity, {
                    "ids": ",".join(wanted[start:start + 200]), "scope": "organisation"}):
                names[u["id"]] = f"{u.get('first_name') or ''} {u.get('last_name') or ''}".strip()
    items = []
    for r in rdvs:
        lieu = lieux.get(r.get("lieu_id") or "")
        place = ", ".join(p for p in (lieu.get("name"), lieu.get("address")) if p) if lieu else ""
        items.append(FeedRdv(id=r["id"], starts_at=_instant(r["starts_at"]), ends_at=_instant(r["ends_at"]),
                             created_at=_instant(r["created_at"]), status=r["status"],
                             motif=motifs.get(r["motif_id"], "Rendez-vous"), place=place,
                             usagers=tuple(names[u] for u in r.get("usager_ids") or [] if names.get(u))))
    name = f"rdv - {owner['first_name']} {owner['last_name']} ({owner['organisation_name']})"
    return feed_ics(items, calendar_name=name, timezone=owner["timezone"])


async def _pages(fetch: Fetch, service: str, path: str, identity: Identity, params: dict) -> list[dict]:
    items: list[dict] = []
    page = 1
    while True:
        resp = await fetch(service, path, identity, {**params, "page": page, "per_page": 200})
        if resp.status_code != 200:
            raise NotFound() if resp.status_code == 404 else _unavailable(service, resp.status_code)
        data = resp.json()
        items += data["items"]
        if len(items) >= data["total"] or not data["items"]:
            return items
        page += 1


def _unavailable(service: str, status: int) -> ServiceUnavailable:
    return ServiceUnavailable(details={"service": service, "status": status})


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value)
