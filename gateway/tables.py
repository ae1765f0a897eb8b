"""SQLAlchemy tables of the gateway (the migrations' metadata); defined in gateway.adapters.tables."""
from gateway.adapters.tables import metadata, outbox, inbox  # noqa: F401
from gateway.adapters.calendar_feeds import calendar_feeds  # noqa: F401,E402 (defined beside its queries)
