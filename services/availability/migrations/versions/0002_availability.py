"""availability: lieux, motifs, plages, absences, busy RDVs

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)


def _stamps():
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())]


def upgrade() -> None:
    op.create_table(
        "lieux",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("phone", sa.Text),
        *_stamps(),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_lieux_organisation_id", "lieux", ["organisation_id"])
    op.create_table(
        "motifs",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("service_id", UUID, nullable=False),
        sa.Column("duration_minutes", sa.Integer, nullable=False),
        sa.Column("location_type", sa.Text, nullable=False),
        sa.Column("color", sa.Text),
        sa.Column("reservable_online", sa.Boolean, nullable=False),
        sa.Column("min_booking_delay_minutes", sa.Integer, nullable=False),
        sa.Column("max_booking_delay_days", sa.Integer, nullable=False),
        *_stamps(),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_motifs_organisation_id", "motifs", ["organisation_id"])
    op.create_table(
        "plages",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("agent_id", UUID, nullable=False),
        sa.Column("lieu_id", UUID, nullable=False),
        sa.Column("motif_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("recurrence", postgresql.JSONB),
        sa.Column("last_day", sa.Date),
        sa.Column("timezone", sa.Text, nullable=False),
        *_stamps(),
    )
    op.create_index("plages_org_agent", "plages", ["organisation_id", "agent_id"])
    op.create_table(
        "absences",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("agent_id", UUID, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_day", sa.Date, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("recurrence", postgresql.JSONB),
        sa.Column("last_day", sa.Date),
        sa.Column("timezone", sa.Text, nullable=False),
        *_stamps(),
    )
    op.create_index("absences_agent", "absences", ["agent_id", "first_day"])
    op.create_index("absences_org_agent", "absences", ["organisation_id", "agent_id"])
    op.create_table(
        "busy_rdvs",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("agent_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("motif_id", UUID),
        sa.Column("lieu_id", UUID),
    )
    op.create_index("busy_rdvs_starts", "busy_rdvs", ["starts_at"])
    op.create_index("busy_rdvs_agents", "busy_rdvs", ["agent_ids"], postgresql_using="gin")


def downgrade() -> None:
    for table in ("busy_rdvs", "absences", "plages", "motifs", "lieux"):
        op.drop_table(table)
