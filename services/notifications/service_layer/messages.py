"""Produce the messages about one RDV: load what they need, pick recipients, render, queue."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from services.notifications.adapters import repository as repo
from services.notifications.adapters import tables as t
from services.notifications.adapters.render import render
from services.notifications.domain.model import Contact, RdvView, Recipient
from services.notifications.domain.rules import agent_recipient, usager_recipients
from shared.db import UnitOfWork


class MissingProjection(Exception):
    """Something a message needs has not arrived yet (organisation, motif, lieu, usager...)."""


@dataclass
class RdvContext:
    view: RdvView
    contacts: list[Contact]
    agents: dict[uuid.UUID, dict]


async def load_context(uow: UnitOfWork, rdv: dict, *, extra_agent_ids=()) -> RdvContext:
    """Everything messages about `rdv` need, or MissingProjection naming what is missing."""
    extra_agent_ids = list(extra_agent_ids)
    organisation = await repo.get(uow, t.organisations, rdv["organisation_id"])
    if organisation is None:
        raise MissingProjection(f"organisation {rdv['organisation_id']}")
    motif = await repo.get(uow, t.motifs, rdv["motif_id"])
    if motif is None:
        raise MissingProjection(f"motif {rdv['motif_id']}")
    service = await repo.get(uow, t.services, motif["service_id"])
    if service is None:
        raise MissingProjection(f"service {motif['service_id']}")
    lieu = None
    if rdv.get("lieu_id"):
        lieu = await repo.get(uow, t.lieux, rdv["lieu_id"])
        if lieu is None:
            raise MissingProjection(f"lieu {rdv['lieu_id']}")
    usagers = await repo.usagers_by_id(uow, rdv["usager_ids"])
    missing = [u for u in rdv["usager_ids"] if u not in usagers]
    responsible_ids = {u["responsible_id"] for u in usagers.values() if u.get("responsible_id")}
    responsibles = await repo.usagers_by_id(uow, responsible_ids)
    missing += [r for r in responsible_ids if r not in responsibles]
    if missing:
        raise MissingProjection(f"usager(s) {', '.join(map(str, missing))}")
    contacts = []
    for usager_id in rdv["usager_ids"]:
        usager = usagers[usager_id]
        contact = repo.contact_of(usager, responsibles.get(usager.get("responsible_id")))
        if contact:
            contacts.append(contact)
    agents = await repo.agents_by_id(uow, list(rdv["agent_ids"]) + list(extra_agent_ids))
    missing = [a for a in extra_agent_ids if a not in agents]
    if missing:  # agents to be told by email (deleted agents are kept, flagged, and skipped)
        raise MissingProjection(f"agent(s) {', '.join(map(str, missing))}")
    usager_names = [f"{u['first_name']} {u['last_name']}".strip() for u in usagers.values() if not u["anonymized"]]
    agent_names = [f"{a['first_name']} {a['last_name']}".strip() for a in agents.values()
                   if a["id"] in rdv["agent_ids"]]
    view = repo.rdv_view(rdv, organisation=organisation, service=service, motif=motif, lieu=lieu,
                         usager_names=usager_names, agent_names=agent_names)
    return RdvContext(view=view, contacts=contacts, agents=agents)


async def queue_messages(uow: UnitOfWork, *, ctx: RdvContext, rdv: dict, cause_id: uuid.UUID,
                         usager_kind: str | None, agent_kinds: dict[uuid.UUID, str], now: datetime,
                         sender: str) -> int:
    """Queue one message per recipient and channel; a cause already queued adds nothing."""
    targets: list[tuple[str, Recipient]] = []
    if usager_kind:
        targets += [(usager_kind, r) for r in usager_recipients(ctx.contacts)]
    for agent_id, kind in agent_kinds.items():
        agent = ctx.agents.get(agent_id)
        contact = repo.agent_contact(agent) if agent else None
        recipient = agent_recipient(contact) if contact else None
        if recipient:
            targets.append((kind, recipient))
    queued = 0
    for kind, recipient in targets:
        content = render(kind, ctx.view, recipient, now=now, sender=sender)
        queued += await repo.add_message(uow, {
            "id": uuid.uuid4(), "organisation_id": rdv["organisation_id"], "rdv_id": rdv["id"],
            "usager_id": recipient.usager_id, "agent_id": recipient.agent_id, "cause_id": cause_id,
            "channel": recipient.channel, "kind": kind, "recipient": recipient.address,
            "subject": content.subject, "body": content.body, "html": content.html,
            "attachments": content.attachments, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "rdv_starts_at": rdv["starts_at"], "created_at": now})
    if queued:
        await repo.notify_due(uow)
    return queued
