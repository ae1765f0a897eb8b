"""Who may do what, per the contract (pure rules; the services enforce their own too)."""
from __future__ import annotations

import uuid

from gateway.domain.model import Agent
from shared.errors import Forbidden


def require_admin(agent: Agent) -> None:
    """Raise Forbidden unless the agent is an admin of their organisation."""
    if not agent.is_admin:
        raise Forbidden("Cette action est réservée aux administrateurs.")


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
