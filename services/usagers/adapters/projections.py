"""The projections kept from other services' events: RDVs (with their usagers), motifs, lieux."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class ProjectionRepository:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def upsert_rdv(self, rdv: dict[str, Any]) -> bool:
        """Store the RDV unless what we hold is as new; return whether it was applied."""
        row = (await self.session.execute(text("""
            insert into rdvs (id, organisation_id, service_id, motif_id, lieu_id, agent_ids, usager_ids,
                              starts_at, ends_at, status, version)
            values (:id, :organisation_id, coalesce(:service_id, (select service_id from motifs where id = :motif_id)),
                    :motif_id, :lieu_id, :agent_ids, :usager_ids, :starts_at, :ends_at, :status, :version)
            on conflict (id) do update set
                service_id = excluded.service_id, motif_id = excluded.motif_id, lieu_id = excluded.lieu_id,
                agent_ids = excluded.agent_ids, usager_ids = excluded.usager_ids, starts_at = excluded.starts_at,
                ends_at = excluded.ends_at, status = excluded.status, version = excluded.version
            where rdvs.version < excluded.version
            returning service_id
        """), rdv)).first()
        if row is None:
            return False
        removed = (await self.session.execute(text("delete from rdv_usagers where rdv_id = :id returning usager_id"),
                                              {"id": rdv["id"]})).scalars().all()
        if rdv["usager_ids"]:
            await self.session.execute(text("""
                insert into rdv_usagers (usager_id, rdv_id, organisation_id, service_id)
                select u, :id, :org, :service_id from unnest(cast(:usager_ids as uuid[])) as u
                on conflict do nothing
            """), {"id": rdv["id"], "org": rdv["organisation_id"], "service_id": row.service_id,
                   "usager_ids": rdv["usager_ids"]})
        await self.refresh_service_links(usager_ids={*removed, *rdv["usager_ids"]})
        return True

    async def purge_rdv(self, *, rdv_id: uuid.UUID) -> None:
        """Forget an RDV booking deleted (retention) and the service links it made."""
        removed = (await self.session.execute(text("delete from rdv_usagers where rdv_id = :id returning usager_id"),
                                              {"id": rdv_id})).scalars().all()
        await self.session.execute(text("delete from rdvs where id = :id"), {"id": rdv_id})
        await self.refresh_service_links(usager_ids=set(removed))

    async def refresh_service_links(self, *, usager_ids: set[uuid.UUID]) -> None:
        """Recompute usagers.service_ids (scope=service) from their RDVs; write only what changed."""
        if not usager_ids:
            return
        # Lock first, then read the links in a new statement (a fresh snapshot under READ COMMITTED):
        # two replicas applying two RDVs of one usager at once would otherwise each miss the other's link.
        await self.session.execute(text("select id from usagers where id = any(:ids) order by id for update"),
                                   {"ids": list(usager_ids)})
        await self.session.execute(text("""
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
        await self.session.execute(text("""
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
            await self.session.execute(text(
                "update rdvs set service_id = :sid where motif_id = :id and service_id is null"), params)
            linked = (await self.session.execute(text("""
                update rdv_usagers ru set service_id = :sid from rdvs r
                where r.id = ru.rdv_id and r.motif_id = :id and ru.service_id is null
                returning ru.usager_id
            """), params)).scalars().all()
            await self.refresh_service_links(usager_ids=set(linked))

    async def upsert_lieu(self, *, lieu: dict[str, Any], organisation_id: uuid.UUID, deleted: bool,
                          at: datetime) -> None:
        await self.session.execute(text("""
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
        return list((await self.session.execute(text(f"""
            select r.*, m.name as motif_name, l.name as lieu_name, l.address as lieu_address
            from rdv_usagers ru
            join rdvs r on r.id = ru.rdv_id
            left join motifs m on m.id = r.motif_id
            left join lieux l on l.id = r.lieu_id
            where ru.usager_id = :uid and r.organisation_id = :org {visible}
            order by r.starts_at, r.id
        """), params)).all())
