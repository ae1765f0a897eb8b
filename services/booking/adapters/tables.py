"""SQLAlchemy tables of the booking service.

`rdv_agents` holds one row per (RDV, agent) over `tstzrange(starts_at, ends_at, '[)')`
with an exclusion constraint on active rows: two active RDVs of one agent can never
overlap, whatever the concurrency. Python never checks overlaps itself.
"""
from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index,
                        Integer, MetaData, Table, Text, text)
from sqlalchemy.dialects.postgresql import ARRAY, ExcludeConstraint, JSONB, TSTZRANGE, UUID

from shared.tables import add_platform_tables

metadata = MetaData()
outbox, inbox = add_platform_tables(metadata)

rdvs = Table(
    "rdvs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("motif_id", UUID(as_uuid=True), nullable=False),
    Column("service_id", UUID(as_uuid=True), nullable=False),
    Column("lieu_id", UUID(as_uuid=True)),
    Column("agent_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("usager_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False, server_default=text("'unknown'")),
    Column("context", Text),
    Column("origin", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", UUID(as_uuid=True)),
    Column("cancelled_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("idempotency_key", Text),
    Column("request_hash", Text),
    CheckConstraint("ends_at > starts_at", name="rdvs_positive_duration"),
    CheckConstraint("status in ('unknown','seen','noshow','excused','revoked')", name="rdvs_status"),
    CheckConstraint("origin in ('agent','usager')", name="rdvs_origin"),
)
Index("rdvs_org_starts", rdvs.c.organisation_id, rdvs.c.starts_at)
Index("rdvs_idempotency", rdvs.c.organisation_id, rdvs.c.idempotency_key, unique=True,
      postgresql_where=rdvs.c.idempotency_key.isnot(None))
Index("rdvs_agent_ids", rdvs.c.agent_ids, postgresql_using="gin")
Index("rdvs_usager_ids", rdvs.c.usager_ids, postgresql_using="gin")

rdv_agents = Table(
    "rdv_agents", metadata,
    Column("rdv_id", UUID(as_uuid=True), ForeignKey("rdvs.id", ondelete="CASCADE"), primary_key=True),
    Column("agent_id", UUID(as_uuid=True), primary_key=True),
    Column("during", TSTZRANGE, nullable=False),
    Column("active", Boolean, nullable=False),
    ExcludeConstraint(("agent_id", "="), ("during", "&&"), using="gist", where=text("active"),
                      name="rdv_agents_no_overlap"),
)

rdv_status_changes = Table(
    "rdv_status_changes", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("rdv_id", UUID(as_uuid=True), ForeignKey("rdvs.id", ondelete="CASCADE"), nullable=False),
    Column("previous_status", Text),
    Column("status", Text, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", UUID(as_uuid=True)),
)
Index("rdv_status_changes_rdv", rdv_status_changes.c.rdv_id)

# Projections of availability's catalogue (consumer `booking-catalog`), for filters and labels.
motifs = Table(
    "motifs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)
lieux = Table(
    "lieux", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("data", JSONB, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)
