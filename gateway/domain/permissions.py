"""Who may do what, per the contract (pure rules; the services enforce their own too)."""
from __future__ import annotations

import uuid

from gateway.domain.model import Agent
from shared.errors import Forbidden


def require_admin(agent: Agent) -> None:
    """Raise Forbidden unless the agent is an admin of their organisation."""
    if not agent.is_admin:
        raise Forbidden("Cette action est réservée aux administrateurs.")


SELF_EDITABLE = frozenset({"first_name", "last_name", "email", "password"})


def require_may_edit_agent(agent: Agent, target_agent_id: uuid.UUID, fields: set[str]) -> None:
    """An admin edits any agent; an agent edits their own names, email and password, not their role or services."""
    if agent.is_admin:
        return
    if agent.id != target_agent_id or not fields <= SELF_EDITABLE:
        raise Forbidden("Un agent ne modifie que son propre profil (nom, e-mail, mot de passe).")


def may_write_for(agent: Agent, target_agent_id: uuid.UUID) -> bool:
    """An agent writes their own plages and absences; an admin writes anyone's."""
    return agent.is_admin or agent.id == target_agent_id


def require_write_for(agent: Agent, target_agent_id: uuid.UUID) -> None:
    if not may_write_for(agent, target_agent_id):
        raise Forbidden("Un agent ne gère que ses propres plages et absences.")


def candidate_agents(*, caller: Agent, colleagues: list[Agent], elargir: bool) -> list[uuid.UUID]:
    """The agents whose créneaux a search without `agent_id` covers.

    An admin, or `elargir=true`, covers every agent of the organisation; a basic agent
    the agents who share one of their services (and themselves).
    """
    if caller.is_admin or elargir:
        return sorted({a.id for a in colleagues} | {caller.id})
    mine = set(caller.service_ids)
    ids = {a.id for a in colleagues if mine & set(a.service_ids)}
    ids.add(caller.id)
    return sorted(ids)
