"""Routes of the gateway's own data: the organisation, its services and agents, the audit log."""
from gateway.entrypoints.directory import audit, routes  # noqa: F401
