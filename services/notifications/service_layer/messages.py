"""Produce the messages about one RDV: load what they need, pick recipients, render, queue."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

from services.notifications.domain.model import Contact, Content, RdvView, Recipient
from services.notifications.domain.projected import agent_contact, contact_of, rdv_view
from services.notifications.domain.rules import agent_recipient, usager_recipients
from services.notifications.service_layer.unit_of_work import NotificationsUnitOfWork


# The content of one message: compose(kind, view, recipient, now=...); the templates and the sender's
# address are the entrypoints' to choose (adapters.render with the configured From).
Compose = Callable[..., Content]


class MissingProjection(Exception):
    """Something a message needs has not arrived yet (organisation, motif, lieu, usager...)."""


@dataclass
class RdvContext:
    view: RdvView
    contacts: list[Contact]
    agents: dict[uuid.UUID, dict]


async def load_contexts(uow: NotificationsUnitOfWork,
                        wanted: list[tuple[dict, Iterable[uuid.UUID]]]) -> list[RdvContext]:
    """The context of each (rdv, extra agent ids), read in one query for all of them;
    MissingProjection names the first thing missing."""
    wanted = [(rdv, list(extra)) for rdv, extra in wanted]
    found = await uow.messages.snapshot(**needs(rdv for rdv, _ in wanted),
                                        agents=[a for rdv, extra in wanted for a in [*rdv["agent_ids"], *extra]])
    return contexts(found, wanted)


def needs(rdvs: Iterable[dict]) -> dict[str, list[uuid.UUID]]:
    """What the messages about these RDVs are made of (agents apart), as uow.messages.snapshot arguments."""
    rdvs = list(rdvs)
    return {"organisations": [rdv["organisation_id"] for rdv in rdvs],
            "motifs": [rdv["motif_id"] for rdv in rdvs],
            "lieux": [rdv["lieu_id"] for rdv in rdvs if rdv.get("lieu_id")],
            "usagers": [u for rdv in rdvs for u in rdv["usager_ids"]]}


def contexts(found, wanted: list[tuple[dict, Iterable[uuid.UUID]]]) -> list[RdvContext]:
    """The context of each (rdv, extra agent ids) from what was read; MissingProjection names the first
    thing missing."""
    return [_context(rdv, list(extra), organisations=found.organisations, motifs=found.motifs,
                     services=found.services, lieux=found.lieux, usagers=found.usagers, agents=found.agents)
            for rdv, extra in wanted]


def _context(rdv: dict, extra_agent_ids: list[uuid.UUID], *, organisations: dict, motifs: dict, services: dict,
             lieux: dict, usagers: dict, agents: dict) -> RdvContext:
    organisation = organisations.get(rdv["organisation_id"])
    if organisation is None:
        raise MissingProjection(f"organisation {rdv['organisation_id']}")
    motif = motifs.get(rdv["motif_id"])
    if motif is None:
        raise MissingProjection(f"motif {rdv['motif_id']}")
    service = services.get(motif["service_id"])
    if service is None:
        raise MissingProjection(f"service {motif['service_id']}")
    lieu = None
    if rdv.get("lieu_id"):
        lieu = lieux.get(rdv["lieu_id"])
        if lieu is None:
            raise MissingProjection(f"lieu {rdv['lieu_id']}")
    missing = [u for u in rdv["usager_ids"] if u not in usagers]
    theirs = [usagers[u] for u in dict.fromkeys(rdv["usager_ids"]) if u in usagers]
    responsible_ids = {u["responsible_id"] for u in theirs if u.get("responsible_id")}
    missing += [r for r in responsible_ids if r not in usagers]
    if missing:
        raise MissingProjection(f"usager(s) {', '.join(map(str, missing))}")
    contacts = []
    for usager_id in rdv["usager_ids"]:
        usager = usagers[usager_id]
        contact = contact_of(usager, usagers.get(usager.get("responsible_id")))
        if contact:
            contacts.append(contact)
    missing = [a for a in extra_agent_ids if a not in agents]
    if missing:  # agents to be told by email (deleted agents are kept, flagged, and skipped)
        raise MissingProjection(f"agent(s) {', '.join(map(str, missing))}")
    usager_names = [f"{u['first_name']} {u['last_name']}".strip() for u in theirs if not u["anonymized"]]
    agent_names = [f"{agents[a]['first_name']} {agents[a]['last_name']}".strip()
                   for a in dict.fromkeys(rdv["agent_ids"]) if a in agents]
    view = rdv_view(rdv, organisation=organisation, service=service, motif=motif, lieu=lieu,
                         usager_names=usager_names, agent_names=agent_names)
    return RdvContext(view=view, contacts=contacts,
                      agents={a: agents[a] for a in [*rdv["agent_ids"], *extra_agent_ids] if a in agents})


def message_rows(*, ctx: RdvContext, rdv: dict, cause_id: uuid.UUID, usager_kind: str | None,
                 agent_kinds: dict[uuid.UUID, str], now: datetime, compose: Compose) -> list[dict]:
    """One message per recipient and channel, rendered, ready to queue."""
    targets: list[tuple[str, Recipient]] = []
    if usager_kind:
        targets += [(usager_kind, r) for r in usager_recipients(ctx.contacts)]
    for agent_id, kind in agent_kinds.items():
        agent = ctx.agents.get(agent_id)
        contact = agent_contact(agent) if agent else None
        recipient = agent_recipient(contact) if contact else None
        if recipient:
            targets.append((kind, recipient))
    rows = []
    for kind, recipient in targets:
        content = compose(kind, ctx.view, recipient, now=now)
        rows.append({
            "id": uuid.uuid4(), "organisation_id": rdv["organisation_id"], "rdv_id": rdv["id"],
            "usager_id": recipient.usager_id, "agent_id": recipient.agent_id, "cause_id": cause_id,
            "channel": recipient.channel, "kind": kind, "recipient": recipient.address,
            "subject": content.subject, "body": content.body, "html": content.html,
            "attachments": content.attachments, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "rdv_starts_at": rdv["starts_at"], "created_at": now})
    return rows


async def queue(uow: NotificationsUnitOfWork, rows: list[dict]) -> int:
    """Queue messages (a cause already queued adds nothing) and wake the delivery loops on commit."""
    return await uow.messages.queue(rows)
