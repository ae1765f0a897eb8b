"""Usagers in PostgreSQL: reads, writes, the search (PostgreSQL does the matching and ranking) and the
retention query."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import and_, func, insert, literal_column, select, text, update
from sqlalchemy.orm import aliased

from services.usagers.adapters.tables import usagers
from services.usagers.domain.search import SearchQuery, prefix_upper_bound
from services.usagers.domain.usager import Usager
from shared.db import UnitOfWork

_FIELDS = ("id", "organisation_id", "first_name", "last_name", "birth_name", "birth_date", "email", "phone",
           "address", "notify_by_sms", "notify_by_email", "responsible_id", "created_at", "updated_at",
           "created_by", "anonymized_at")
_WRITABLE = tuple(f for f in _FIELDS if f not in ("id", "organisation_id", "created_at", "created_by"))
_responsible = aliased(usagers, name="responsible")


def _select_usagers():
    """Usagers with their responsible's contacts (for the effective contacts)."""
    return (select(*[usagers.c[f] for f in _FIELDS],
                   _responsible.c.email.label("responsible_email"),
                   _responsible.c.phone.label("responsible_phone"))
            .select_from(usagers.outerjoin(_responsible, _responsible.c.id == usagers.c.responsible_id)))


def _to_usager(row: Any) -> Usager:
    m = row._mapping
    return Usager(**{f: m[f] for f in _FIELDS}, responsible_email=m["responsible_email"],
                  responsible_phone=m["responsible_phone"])


class UsagerRepository:
    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def get(self, *, organisation_id: uuid.UUID, usager_id: uuid.UUID,
                  for_update: bool = False) -> Usager | None:
        stmt = _select_usagers().where(usagers.c.organisation_id == organisation_id, usagers.c.id == usager_id)
        if for_update:
            stmt = stmt.with_for_update(of=usagers)
        row = (await self._uow.execute(stmt)).first()
        return _to_usager(row) if row else None

    async def get_many(self, *, organisation_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Usager]:
        if not ids:
            return []
        stmt = _select_usagers().where(usagers.c.organisation_id == organisation_id, usagers.c.id.in_(list(ids)))
        return [_to_usager(r) for r in (await self._uow.execute(stmt)).all()]

    async def add(self, usager: Usager) -> None:
        await self._uow.execute(insert(usagers).values(
            **{f: getattr(usager, f) for f in _FIELDS if f not in ("created_at", "updated_at")},
            created_at=usager.created_at or func.now(), updated_at=usager.updated_at or func.now()))

    async def save(self, usager: Usager) -> None:
        await self._uow.execute(update(usagers).where(usagers.c.id == usager.id)
                                   .values(**{f: getattr(usager, f) for f in _WRITABLE}))

    async def relatives(self, *, organisation_id: uuid.UUID, usager_id: uuid.UUID) -> list[Usager]:
        stmt = (_select_usagers()
                .where(usagers.c.organisation_id == organisation_id, usagers.c.responsible_id == usager_id,
                       usagers.c.anonymized_at.is_(None))
                .order_by(usagers.c.sort_name, usagers.c.id))
        return [_to_usager(r) for r in (await self._uow.execute(stmt)).all()]

    async def has_relatives(self, *, usager_id: uuid.UUID) -> bool:
        stmt = select(literal_column("1")).where(usagers.c.responsible_id == usager_id).limit(1)
        return (await self._uow.execute(stmt)).first() is not None

    async def possible_duplicates(self, usager: Usager) -> list[Usager]:
        """Same phone, or same names (accents and case aside) and birth date, in the organisation."""
        same_phone = and_(usagers.c.phone.is_not(None), usagers.c.phone == usager.phone) \
            if usager.phone else None
        same_person = and_(
            usagers.c.birth_date == usager.birth_date,
            func.lower(func.rdv_unaccent(usagers.c.first_name)) == func.lower(func.rdv_unaccent(usager.first_name)),
            func.lower(func.rdv_unaccent(usagers.c.last_name)) == func.lower(func.rdv_unaccent(usager.last_name)),
        ) if usager.birth_date else None
        conditions = [c for c in (same_phone, same_person) if c is not None]
        if not conditions:
            return []
        stmt = (_select_usagers()
                .where(usagers.c.organisation_id == usager.organisation_id, usagers.c.id != usager.id,
                       usagers.c.anonymized_at.is_(None), conditions[0] if len(conditions) == 1
                       else conditions[0] | conditions[1])
                .order_by(usagers.c.sort_name, usagers.c.id).limit(20))
        return [_to_usager(r) for r in (await self._uow.execute(stmt)).all()]

    async def find_for_booking(self, *, organisation_id: uuid.UUID, phone: str | None, email: str | None,
                               first_name: str, last_name: str) -> Usager | None:
        """The usager an online booking reuses: same phone or email; same names first, then the oldest."""
        matches = []
        if phone:
            matches.append(usagers.c.phone == phone)
        if email:
            matches.append(usagers.c.email_search == email.lower())
        if not matches:
            return None
        same_names = and_(
            func.lower(func.rdv_unaccent(usagers.c.first_name)) == func.lower(func.rdv_unaccent(first_name)),
            func.lower(func.rdv_unaccent(usagers.c.last_name)) == func.lower(func.rdv_unaccent(last_name)))
        by_phone = (usagers.c.phone == phone) if phone else literal_column("false")
        stmt = (_select_usagers()
                .where(usagers.c.organisation_id == organisation_id, usagers.c.anonymized_at.is_(None),
                       matches[0] if len(matches) == 1 else matches[0] | matches[1])
                .order_by(same_names.desc(), by_phone.desc(), usagers.c.responsible_id.is_(None).desc(),
                          usagers.c.created_at, usagers.c.id)
                .limit(1))
        row = (await self._uow.execute(stmt)).first()
        return _to_usager(row) if row else None

    async def lock(self, *, key: str) -> None:
        """Serialise concurrent writers of one key (e.g. two online bookings with one phone)."""
        await self._uow.execute(text("select pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})

    async def search(self, *, organisation_id: uuid.UUID, query: SearchQuery,
                     service_ids: Sequence[uuid.UUID] | None, ids: Sequence[uuid.UUID] | None,
                     limit: int, offset: int) -> tuple[list[Usager], int]:
        """One page of matches, best first, and their total.

        `service_ids` (scope=service): only usagers with an RDV in one of them (None: all).
        """
        condition, params, rank = _search_condition(organisation_id=organisation_id, query=query,
                                                    service_ids=service_ids, ids=ids)
        params.update(limit=limit, offset=offset)
        if not rank:
            return await self._page_by_name(condition, params)
        return await self._ranked_page(condition, params, rank, first_page=offset == 0)

    async def _page_by_name(self, condition: str, params: dict[str, Any]) -> tuple[list[Usager], int]:
        # No ranking: the page walks the (organisation_id, sort_name) index; the total is counted apart.
        page_sql = f"""
            select {_SEARCH_COLUMNS}, r.email as responsible_email, r.phone as responsible_phone
            from usagers u {_WITH_RESPONSIBLE} where {condition}
            order by u.sort_name, u.id limit :limit offset :offset
        """
        rows = (await self._uow.execute(text(page_sql), params)).all()
        return [_to_usager(r) for r in rows], await self._count(condition, params)

    async def _ranked_page(self, condition: str, params: dict[str, Any], rank: list[str], *,
                           first_page: bool) -> tuple[list[Usager], int]:
        # Ranking needs every match anyway, so the window count comes at no extra scan.
        ranks = "".join(f"{r} as r{i}, " for i, r in enumerate(rank))
        order = "".join(f"r{i} desc, " for i in range(len(rank)))
        page_order = "".join(f"page.r{i} desc, " for i in range(len(rank)))
        sql = f"""
            with page as (
                select u.id, u.sort_name, {ranks} count(*) over () as total
                from usagers u where {condition}
                order by {order} u.sort_name, u.id
                limit :limit offset :offset
            )
            select page.total, {_SEARCH_COLUMNS}, r.email as responsible_email, r.phone as responsible_phone
            from page join usagers u on u.id = page.id {_WITH_RESPONSIBLE}
            order by {page_order} page.sort_name, page.id
        """
        rows = (await self._uow.execute(text(sql), params)).all()
        if rows:
            return [_to_usager(r) for r in rows], rows[0]._mapping["total"]
        if first_page:
            return [], 0
        return [], await self._count(condition, params)  # a page past the end still answers the total

    async def _count(self, condition: str, params: dict[str, Any]) -> int:
        return (await self._uow.execute(text(f"select count(*) from usagers u where {condition}"),
                                           params)).scalar_one()

    async def expired(self, *, cutoff: datetime, limit: int) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(id, organisation_id) of usagers past their keeping period at `cutoff` (see service_layer.retention)."""
        rows = (await self._uow.execute(_EXPIRED, {"cutoff": cutoff, "n": limit})).all()
        return [(row.id, row.organisation_id) for row in rows]


_SEARCH_COLUMNS = ", ".join(f"u.{f}" for f in _FIELDS)
_WITH_RESPONSIBLE = "left join usagers r on r.id = u.responsible_id"


def _search_condition(*, organisation_id: uuid.UUID, query: SearchQuery, service_ids: Sequence[uuid.UUID] | None,
                      ids: Sequence[uuid.UUID] | None) -> tuple[str, dict[str, Any], list[str]]:
    """The `where` of a search over `usagers u`, its parameters, and the ranking expressions (best first)."""
    where = ["u.anonymized_at is null"]
    params: dict[str, Any] = {"org": organisation_id}
    rank: list[str] = []
    if query.kind == "name":
        # `search` holds words keyed by organisation (adapters.tables) and the query is keyed the same
        # way, so a match is in the organisation: the key is its whole id. Adding `organisation_id = :org`
        # made the planner, taking the two for independent, AND in the organisation's whole index.
        where.append("u.search @@ rdv_org_query(:org, to_tsquery('simple', :pq))")
        params["pq"] = query.prefix_tsquery
        exact = []
        for i, tsq in enumerate(query.exact_tsqueries):
            params[f"e{i}"] = tsq
            exact.append(f"(u.search @@ rdv_org_query(:org, to_tsquery('simple', :e{i})))::int")
        params["first"] = query.tokens[0]
        # whole words typed rank first, then names starting like the first word typed
        rank = ["(" + " + ".join(exact) + ")", "starts_with(u.sort_name, :first)::int"]
    else:
        where.insert(0, "u.organisation_id = :org")
    if query.kind in ("phone", "email"):
        column = "u.phone_search" if query.kind == "phone" else "u.email_search"
        if query.prefix:
            where.append(f"{column} >= :lo and {column} < :hi")
            params.update(lo=query.prefix, hi=prefix_upper_bound(query.prefix))
            rank = [f"({column} = :lo)::int"]
    if service_ids is not None:
        where.append("u.service_ids && cast(:sids as uuid[])")
        params["sids"] = list(service_ids)
    if ids is not None:
        where.append("u.id = any(:ids)")
        params["ids"] = list(ids)
    return " and ".join(where), params, rank


# Usagers past their keeping period (RGPD): no RDV ending after the cutoff, for them or for a relative
# reached through them; an usager without any RDV counts from its creation.
_EXPIRED = text("""
    select u.id, u.organisation_id from usagers u
    where u.anonymized_at is null
      and not exists (select 1 from rdv_usagers ru join rdvs r on r.id = ru.rdv_id
                      where ru.usager_id = u.id and r.ends_at >= :cutoff)
      and (u.created_at < :cutoff or exists (select 1 from rdv_usagers ru where ru.usager_id = u.id))
      and not exists (select 1 from usagers rel join rdv_usagers ru on ru.usager_id = rel.id
                      join rdvs r on r.id = ru.rdv_id
                      where rel.responsible_id = u.id and r.ends_at >= :cutoff)
    order by u.id limit :n
""")
