"""SQLAlchemy tables of the reporting service.

Projections (rebuilt from the streams by `rdv reporting rebuild`): `rdv_facts` (one flat row per
RDV, the newest `version` wins), `rdv_status_changes`, `rdv_notifications`, and the names needed to
label them (`organisations`, `services`, `agents`, `motifs`, `lieux`, `usagers`).
Owned data: `exports` (the jobs; the files live under RDV_DATA_DIR/exports/).
"""
from sqlalchemy import (BigInteger, Boolean, Column, Date, DateTime, Index, Integer, MetaData, Table, Text,
                        func, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.tables import add_platform_tables

metadata = MetaData()
outbox, inbox = add_platform_tables(metadata)

_UUID = UUID(as_uuid=True)

rdv_facts = Table(
    "rdv_facts", metadata,
    Column("id", _UUID, primary_key=True),
    Column("organisation_id", _UUID, nullable=False),
    Column("service_id", _UUID),
    Column("motif_id", _UUID),
    Column("lieu_id", _UUID),
    Column("agent_ids", ARRAY(_UUID), nullable=False, server_default=text("'{}'")),
    Column("usager_ids", ARRAY(_UUID), nullable=False, server_default=text("'{}'")),
    Column("origin", Text, nullable=False, server_default=text("'agent'")),
    Column("created_by", _UUID),
    Column("created_at", DateTime(timezone=True)),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True)),
    Column("duration_minutes", Integer),
    Column("status", Text, nullable=False),
    Column("context", Text),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("version", BigInteger),
    Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
)
# the grouped columns included: statistics count by an index-only scan (migration 0003)
Index("rdv_facts_org_starts_covering", rdv_facts.c.organisation_id, rdv_facts.c.starts_at,
      postgresql_include=["status", "motif_id", "service_id", "lieu_id", "origin"])
Index("rdv_facts_agent_ids", rdv_facts.c.agent_ids, postgresql_using="gin")
Index("rdv_facts_usager_ids", rdv_facts.c.usager_ids, postgresql_using="gin")

rdv_status_changes = Table(
    "rdv_status_changes", metadata,
    Column("rdv_id", _UUID, primary_key=True),
    Column("version", BigInteger, primary_key=True),
    Column("status", Text, nullable=False),
    Column("previous_status", Text),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("actor_id", _UUID),
)

rdv_notifications = Table(
    "rdv_notifications", metadata,
    Column("message_id", _UUID, primary_key=True),
    Column("rdv_id", _UUID, nullable=False),
    Column("organisation_id", _UUID),
    Column("channel", Text, nullable=False),
    Column("kind", Text),
    Column("status", Text, nullable=False),  # sent | failed (sent wins)
    Column("attempt", Integer, nullable=False, server_default=text("1")),
    Column("at", DateTime(timezone=True)),
)
Index("rdv_notifications_rdv", rdv_notifications.c.rdv_id)

organisations = Table(
    "organisations", metadata,
    Column("id", _UUID, primary_key=True),
    Column("name", Text, nullable=False),
    Column("slug", Text),
    Column("timezone", Text, nullable=False, server_default=text("'Europe/Paris'")),
)

services = Table(
    "services", metadata,
    Column("id", _UUID, primary_key=True),
    Column("organisation_id", _UUID),
    Column("name", Text, nullable=False),
    Column("short_name", Text),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)

agents = Table(
    "agents", metadata,
    Column("id", _UUID, primary_key=True),
    Column("organisation_id", _UUID),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("email", Text),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)

motifs = Table(
    "motifs", metadata,
    Column("id", _UUID, primary_key=True),
    Column("organisation_id", _UUID),
    Column("name", Text, nullable=False),
    Column("service_id", _UUID),
    Column("location_type", Text),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)

lieux = Table(
    "lieux", metadata,
    Column("id", _UUID, primary_key=True),
    Column("organisation_id", _UUID),
    Column("name", Text, nullable=False),
    Column("address", Text),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)

usagers = Table(
    "usagers", metadata,
    Column("id", _UUID, primary_key=True),
    Column("organisation_id", _UUID),
    Column("first_name", Text),
    Column("last_name", Text),
    Column("birth_date", Date),
    Column("anonymized", Boolean, nullable=False, server_default=text("false")),
)

exports = Table(
    "exports", metadata,
    Column("id", _UUID, primary_key=True),
    Column("organisation_id", _UUID, nullable=False),
    Column("agent_id", _UUID, nullable=False),
    Column("kind", Text, nullable=False),
    Column("filters", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # who asked, as they were when they asked: the export shows what they could see
    Column("role", Text, nullable=False),
    Column("service_ids", ARRAY(_UUID), nullable=False, server_default=text("'{}'")),
    Column("timezone", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("progress", Integer, nullable=False, server_default=text("0")),
    Column("rows", Integer),
    Column("filename", Text),
    Column("path", Text),
    Column("error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("heartbeat_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
    Column("file_removed", Boolean, nullable=False, server_default=text("false")),
)
Index("exports_owner", exports.c.organisation_id, exports.c.agent_id, exports.c.created_at)
Index("exports_pending", exports.c.created_at, postgresql_where=text("status in ('pending', 'running')"))

PROJECTION_TABLES = ("rdv_facts", "rdv_status_changes", "rdv_notifications", "organisations", "services",
                     "agents", "motifs", "lieux", "usagers")
