"""SQLAlchemy tables of the gateway: directory, sessions, throttling, idempotency, audit."""
from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, Table, Text, func, text)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.tables import add_platform_tables

metadata = MetaData()
outbox, inbox = add_platform_tables(metadata)


def _uuid_pk() -> Column:
    return Column("id", UUID(as_uuid=True), primary_key=True)


def _stamps() -> list[Column]:
    return [Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())]


organisations = Table(
    "organisations", metadata, _uuid_pk(),
    Column("name", Text, nullable=False),
    Column("slug", Text, nullable=False, unique=True),
    Column("timezone", Text, nullable=False, server_default="Europe/Paris"),
    Column("holiday_zone", Text, nullable=False, server_default="metropole"),
    Column("holiday_observances", Text, nullable=False, server_default="local"),
    Column("contact_email", Text),
    Column("publish_online", Boolean, nullable=False, server_default=text("false")),
    *_stamps(),
)

services = Table(
    "services", metadata, _uuid_pk(),
    Column("organisation_id", UUID(as_uuid=True), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("short_name", Text),
    *_stamps(),
)

agents = Table(
    "agents", metadata, _uuid_pk(),
    Column("organisation_id", UUID(as_uuid=True), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("email", Text, nullable=False),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    *_stamps(),
)
# An email logs into one account, whatever the organisation (a deleted agent frees it).
Index("agents_email_active", func.lower(agents.c.email), unique=True,
      postgresql_where=agents.c.deleted_at.is_(None))

agent_services = Table(
    "agent_services", metadata,
    Column("agent_id", UUID(as_uuid=True), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", UUID(as_uuid=True), ForeignKey("services.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

sessions = Table(
    "sessions", metadata, _uuid_pk(),
    Column("token_hash", Text, nullable=False, unique=True),
    Column("csrf_token", Text, nullable=False),
    Column("agent_id", UUID(as_uuid=True), ForeignKey("agents.id"), nullable=False, index=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("ip", Text),
    Column("user_agent", Text),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("email", Text, nullable=False),
    Column("ip", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("success", Boolean, nullable=False),
)
Index("login_attempts_lookup", login_attempts.c.email, login_attempts.c.ip, login_attempts.c.at)

rate_events = Table(
    "rate_events", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("bucket", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
Index("rate_events_lookup", rate_events.c.bucket, rate_events.c.at)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope", Text, primary_key=True),  # agent:<uuid> or ip:<address>
    Column("key", Text, primary_key=True),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("body_hash", Text, nullable=False),
    Column("state", Text, nullable=False),  # in_progress | done
    Column("response_status", Integer),
    Column("response_body", LargeBinary),
    Column("response_headers", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("organisation_id", UUID(as_uuid=True)),
    Column("agent_id", UUID(as_uuid=True)),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("resource_id", Text),
    Column("status", Integer, nullable=False),
    Column("ip", Text),
    Column("replayed", Boolean, nullable=False, server_default=text("false")),
)
Index("audit_log_org_at", audit_log.c.organisation_id, audit_log.c.at)
Index("audit_log_org_resource", audit_log.c.organisation_id, audit_log.c.resource_id)


# Reads after writes (shared.consistency): per organisation, the highest stream position any of its writes
# was answered with; every read forwarded for the organisation asks the services to read after them.
read_positions = Table(
    "read_positions", metadata,
    Column("organisation_id", UUID(as_uuid=True), primary_key=True),
    Column("stream", Text, primary_key=True),
    Column("seq", BigInteger, nullable=False),
)
