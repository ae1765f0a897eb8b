"""SQLAlchemy tables of the gateway (the migrations' metadata); defined in gateway.adapters.tables."""
from gateway.adapters.tables import metadata, outbox, inbox  # noqa: F401
