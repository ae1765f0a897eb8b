"""rdvs, their agents under an exclusion constraint, status history, catalogue projections

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


def upgrade() -> None:
    op.execute("create extension if not exists btree_gist")
    op.create_table(
        "rdvs",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("motif_id", UUID, nullable=False),
        sa.Column("service_id", UUID, nullable=False),
        sa.Column("lieu_id", UUID),
        sa.Column("agent_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("usager_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'unknown'")),
        sa.Column("context", sa.Text),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", UUID),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("idempotency_key", sa.Text),
        sa.Column("request_hash", sa.Text),
        sa.CheckConstraint("ends_at > starts_at", name="rdvs_positive_duration"),
        sa.CheckConstraint("status in ('unknown','seen','noshow','excused','revoked')", name="rdvs_status"),
        sa.CheckConstraint("origin in ('agent','usager')", name="rdvs_origin"),
    )
    op.create_index("rdvs_org_starts", "rdvs", ["organisation_id", "starts_at"])
    op.create_index("rdvs_idempotency", "rdvs", ["organisation_id", "idempotency_key"], unique=True,
                    postgresql_where=sa.text("idempotency_key is not null"))
    op.create_index("rdvs_agent_ids", "rdvs", ["agent_ids"], postgresql_using="gin")
    op.create_index("rdvs_usager_ids", "rdvs", ["usager_ids"], postgresql_using="gin")
    op.create_table(
        "rdv_agents",
        sa.Column("rdv_id", UUID, sa.ForeignKey("rdvs.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("agent_id", UUID, primary_key=True),
        sa.Column("during", postgresql.TSTZRANGE, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    # The no-double-booking invariant, held by PostgreSQL under any concurrency.
    op.execute("alter table rdv_agents add constraint rdv_agents_no_overlap "
               "exclude using gist (agent_id with =, during with &&) where (active)")
    op.create_table(
        "rdv_status_changes",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("rdv_id", UUID, sa.ForeignKey("rdvs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("previous_status", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", UUID),
    )
    op.create_index("rdv_status_changes_rdv", "rdv_status_changes", ["rdv_id"])
    for name in ("motifs", "lieux"):
        op.create_table(
            name,
            sa.Column("id", UUID, primary_key=True),
            sa.Column("organisation_id", UUID, nullable=False),
            sa.Column("data", postgresql.JSONB, nullable=False),
            sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
        )


def downgrade() -> None:
    op.drop_table("lieux")
    op.drop_table("motifs")
    op.drop_table("rdv_status_changes")
    op.drop_table("rdv_agents")
    op.drop_table("rdvs")
