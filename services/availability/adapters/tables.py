"""SQLAlchemy tables of the availability service."""
from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, MetaData, Table, Text, Time,
                        func, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.tables import add_platform_tables

metadata = MetaData()
outbox, inbox = add_platform_tables(metadata)


def _stamps() -> list[Column]:
    return [Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
            Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())]


lieux = Table(
    "lieux", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("phone", Text),
    *_stamps(),
    Column("deleted_at", DateTime(timezone=True)),
)

motifs = Table(
    "motifs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("service_id", UUID(as_uuid=True), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("location_type", Text, nullable=False),
    Column("color", Text),
    Column("reservable_online", Boolean, nullable=False),
    Column("min_booking_delay_minutes", Integer, nullable=False),
    Column("max_booking_delay_days", Integer, nullable=False),
    *_stamps(),
    Column("deleted_at", DateTime(timezone=True)),
)

# Wall times (`time`) are read in `timezone`, the organisation's at the time of writing.
# `last_day` (null = without end) lets a search skip plages and absences that ended.
plages = Table(
    "plages", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("agent_id", UUID(as_uuid=True), nullable=False),
    Column("lieu_id", UUID(as_uuid=True), nullable=False),
    Column("motif_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("title", Text, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("recurrence", JSONB),
    Column("last_day", Date),
    Column("timezone", Text, nullable=False),
    *_stamps(),
)
Index("plages_org_agent", plages.c.organisation_id, plages.c.agent_id)

absences = Table(
    "absences", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("agent_id", UUID(as_uuid=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("start_time", Time, nullable=False),
    Column("end_day", Date, nullable=False),
    Column("end_time", Time, nullable=False),
    Column("recurrence", JSONB),
    Column("last_day", Date),
    Column("timezone", Text, nullable=False),
    *_stamps(),
)
Index("absences_agent", absences.c.agent_id, absences.c.first_day)
Index("absences_org_agent", absences.c.organisation_id, absences.c.agent_id)

# Projection of booking.rdv.*: each RDV's agents, interval, status and version.
busy_rdvs = Table(
    "busy_rdvs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("agent_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("event_at", DateTime(timezone=True), nullable=False),
    Column("motif_id", UUID(as_uuid=True)),
    Column("lieu_id", UUID(as_uuid=True)),
    Column("payload", JSONB, nullable=False, server_default=text("'{}'::jsonb")),  # the event's RDV
)
Index("busy_rdvs_starts", busy_rdvs.c.starts_at)
Index("busy_rdvs_agents", busy_rdvs.c.agent_ids, postgresql_using="gin")

# One row per agent of each busy RDV, kept from busy_rdvs by triggers (migration 0004): read by agent and end.
busy_agents = Table(
    "busy_agents", metadata,
    Column("rdv_id", UUID(as_uuid=True), ForeignKey("busy_rdvs.id", ondelete="CASCADE"), nullable=False),
    Column("agent_id", UUID(as_uuid=True), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
)
Index("busy_agents_agent_ends", busy_agents.c.agent_id, busy_agents.c.ends_at,
      postgresql_include=["starts_at", "status"])
Index("busy_agents_rdv", busy_agents.c.rdv_id)
