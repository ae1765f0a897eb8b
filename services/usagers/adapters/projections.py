"""The projections kept from other services' events: RDVs (with their usagers), motifs, lieux."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import text

from shared.db import UnitOfWork
from shared.sqljson import json_rows


def _uuid_array(values: Sequence[uuid.UUID]) -> str:
    """A uuid[] literal: one text parameter (cheaper for psycopg to send than a list of UUIDs)."""
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def _distinct(values) -> list:
    return list(dict.fromkeys(v for v in values if v is not None))


_RDV_KEYS = ("id", "organisation_id", "service_id", "motif_id", "lieu_id", "agent_ids", "usager_ids", "starts_at",
             "ends_at", "status", "version")
_LINK_KEYS = ("id", "organisation_id", "service_id", "usager_ids")


# The RDVs, newest version wins. Their usagers are locked here (before the next statement reads
# usagers.service_ids): a concurrent refresh_service_links() of one of them, which locks first
# too, then either sees the links written next or is seen by them (see _LINK_USAGERS).
_UPSERT_RDVS = text("""
    with incoming as (
        select * from json_to_recordset(cast(:rows as json))
            as t(id uuid, organisation_id uuid, service_id uuid, motif_id uuid, lieu_id uuid, agent_ids uuid[],
                 usager_ids uuid[], starts_at timestamptz, ends_at timestamptz, status text, version int)
    ), applied as (
        insert into rdvs (id, organisation_id, service_id, motif_id, lieu_id, agent_ids, usager_ids,
                          starts_at, ends_at, status, version)
        select i.id, i.organisation_id,
               coalesce(i.service_id, (select m.service_id from motifs m where m.id = i.motif_id)),
               i.motif_id, i.lieu_id, i.agent_ids, i.usager_ids, i.starts_at, i.ends_at, i.status, i.version
        from incoming i order by i.id
        on conflict (id) do update set
            service_id = excluded.service_id, motif_id = excluded.motif_id, lieu_id = excluded.lieu_id,
            agent_ids = excluded.agent_ids, usager_ids = excluded.usager_ids, starts_at = excluded.starts_at,
            ends_at = excluded.ends_at, status = excluded.status, version = excluded.version
        where rdvs.version < excluded.version
        returning id, service_id, usager_ids
    ), locked as (
        select u.id from usagers u
        where u.id = any(cast(:usagers as uuid[])) and u.id in (select unnest(usager_ids) from applied)
        order by u.id for update
    )
    select id, service_id from applied where (select count(*) from locked) >= 0
""")

# The links of applied RDVs, in a statement of its own: its snapshot sees what a concurrent
# transaction holding one of these RDVs committed before our upsert could lock it. A new link adds
# its service to usagers.service_ids (locked by _UPSERT_RDVS, so read here as a refresh left it);
# returns the usagers who lost a link (gone, or moved to another service): they need a refresh.
_LINK_USAGERS = text("""
    with a as (
        select * from json_to_recordset(cast(:rows as json))
            as t(id uuid, organisation_id uuid, service_id uuid, usager_ids uuid[])
    ), gone as (
        delete from rdv_usagers ru using a
        where ru.rdv_id = any(cast(:ids as uuid[])) and ru.rdv_id = a.id and ru.usager_id <> all(a.usager_ids)
        returning ru.usager_id
    ), moved as (
        update rdv_usagers ru set service_id = a.service_id from a
        where ru.rdv_id = any(cast(:ids as uuid[])) and ru.rdv_id = a.id and ru.usager_id = any(a.usager_ids)
          and ru.service_id is distinct from a.service_id
        returning ru.usager_id
    ), linked as (
        insert into rdv_usagers (usager_id, rdv_id, organisation_id, service_id)
        select u, a.id, a.organisation_id, a.service_id from a, unnest(a.usager_ids) as u
        on conflict do nothing
        returning usager_id, service_id
    ), added as (
        update usagers u
        set service_ids = (select array_agg(distinct s order by s) from unnest(u.service_ids || n.sids) as s)
        from (select usager_id, array_agg(distinct service_id) as sids from linked
              where service_id is not null group by usager_id) as n
        where u.id = any(cast(:usagers as uuid[])) and u.id = n.usager_id and not u.service_ids @> n.sids
    )
    select usager_id from gone union select usager_id from moved
""")


class ProjectionRepository:
    def __init__(self, uow: UnitOfWork):
        self._uow = uow

    async def upsert_rdv(self, rdv: dict[str, Any]) -> bool:
        """Store the RDV unless what we hold is as new; return whether it was applied."""
        return bool(await self.upsert_rdvs([rdv]))

    async def upsert_rdvs(self, rdvs: Sequence[dict[str, Any]]) -> int:
        """Store RDVs of distinct ids, each unless what we hold is as new, and their usager <-> service
        links; return how many were applied. A few statements whatever the number of RDVs."""
        if not rdvs:
            return 0
        rdvs = sorted(rdvs, key=lambda r: r["id"])  # rows locked in one order by every replica
        applied = {row.id: row.service_id for row in (await self._uow.execute(_UPSERT_RDVS, {
            "rows": json_rows(rdvs, _RDV_KEYS),
            "usagers": _uuid_array(_distinct(u for r in rdvs for u in r["usager_ids"]))})).all()}
        if not applied:
            return 0
        done = [r for r in rdvs if r["id"] in applied]
        stale = (await self._uow.execute(_LINK_USAGERS, {
            "rows": json_rows([{**r, "service_id": applied[r["id"]]} for r in done], _LINK_KEYS),
            "ids": _uuid_array([r["id"] for r in done]),
            "usagers": _uuid_array(_distinct(u for r in done for u in r["usager_ids"]))})).scalars().all()
        await self.refresh_service_links(usager_ids=set(stale))
        return len(applied)

    async def purge_rdv(self, *, rdv_id: uuid.UUID) -> None:
        """Forget an RDV booking deleted (retention) and the service links it made."""
        removed = (await self._uow.execute(text("delete from rdv_usagers where rdv_id = :id returning usager_id"),
                                              {"id": rdv_id})).scalars().all()
        await self._uow.execute(text("delete from rdvs where id = :id"), {"id": rdv_id})
        await self.refresh_service_links(usager_ids=set(removed))

    async def refresh_service_links(self, *, usager_ids: set[uuid.UUID]) -> None:
        """Recompute usagers.service_ids (scope=service) from their RDVs; write only what changed."""
        if not usager_ids:
            return
        # Lock first, then read the links in a new statement (a fresh snapshot under READ COMMITTED):
        # two replicas applying two RDVs of one usager at once would otherwise each miss the other's link.
        await self._uow.execute(text("select id from usagers where id = any(:ids) order by id for update"),
                                   {"ids": list(usager_ids)})
        await self._uow.execute(text("""
            with fresh as (
                select u.id, coalesce((select array_agg(distinct ru.service_id order by ru.service_id)
                                       from rdv_usagers ru
                                       where ru.usager_id = u.id and ru.service_id is not null),
                                      '{}') as service_ids
                from usagers u where u.id = any(:ids)
            )
            update usagers u set service_ids = fresh.service_ids from fresh
            where u.id = fresh.id and u.service_ids is distinct from fresh.service_ids
        """), {"ids": list(usager_ids)})

    async def upsert_motif(self, *, motif: dict[str, Any], organisation_id: uuid.UUID, deleted: bool,
                           at: datetime) -> None:
        await self._uow.execute(text("""
            insert into motifs (id, organisation_id, name, service_id, deleted, changed_at)
            values (:id, :org, :name, :service_id, :deleted, :at)
            on conflict (id) do update set name = excluded.name, service_id = excluded.service_id,
                deleted = excluded.deleted, changed_at = excluded.changed_at
            where motifs.changed_at <= excluded.changed_at
        """), {"id": motif["id"], "org": organisation_id, "name": motif.get("name") or "",
               "service_id": motif.get("service_id"), "deleted": deleted, "at": at})
        if motif.get("service_id"):
            # RDVs that arrived before their motif (and without service_id) get their service now.
            params = {"id": motif["id"], "sid": motif["service_id"]}
            await self._uow.execute(text(
                "update rdvs set service_id = :sid where motif_id = :id and service_id is null"), params)
            linked = (await self._uow.execute(text("""
                update rdv_usagers ru set service_id = :sid from rdvs r
                where r.id = ru.rdv_id and r.motif_id = :id and ru.service_id is null
                returning ru.usager_id
            """), params)).scalars().all()
            await self.refresh_service_links(usager_ids=set(linked))

    async def upsert_lieu(self, *, lieu: dict[str, Any], organisation_id: uuid.UUID, deleted: bool,
                          at: datetime) -> None:
        await self._uow.execute(text("""
            insert into lieux (id, organisation_id, name, address, deleted, changed_at)
            values (:id, :org, :name, :address, :deleted, :at)
            on conflict (id) do update set name = excluded.name, address = excluded.address,
                deleted = excluded.deleted, changed_at = excluded.changed_at
            where lieux.changed_at <= excluded.changed_at
        """), {"id": lieu["id"], "org": organisation_id, "name": lieu.get("name") or "",
               "address": lieu.get("address"), "deleted": deleted, "at": at})

    async def history(self, *, organisation_id: uuid.UUID, usager_id: uuid.UUID,
                      service_ids: Sequence[uuid.UUID] | None, agent_id: uuid.UUID | None) -> list[Any]:
        """The usager's RDVs with motif and lieu names; restricted to what a basic agent may see."""
        visible = ""
        params: dict[str, Any] = {"org": organisation_id, "uid": usager_id}
        if service_ids is not None:
            visible = "and (r.service_id = any(:sids) or cast(:agent as uuid) = any(r.agent_ids))"
            params.update(sids=list(service_ids), agent=agent_id)
        return list((await self._uow.execute(text(f"""
            select r.*, m.name as motif_name, l.name as lieu_name, l.address as lieu_address
            from rdv_usagers ru
            join rdvs r on r.id = ru.rdv_id
            left join motifs m on m.id = r.motif_id
            left join lieux l on l.id = r.lieu_id
            where ru.usager_id = :uid and r.organisation_id = :org {visible}
            order by r.starts_at, r.id
        """), params)).all())
