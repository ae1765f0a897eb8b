"""availability: keep each RDV's payload in the busy projection (agenda, absences' conflicts)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("busy_rdvs", sa.Column("payload", postgresql.JSONB, nullable=False,
                                         server_default=sa.text("'{}'::jsonb")))


def downgrade() -> None:
    op.drop_column("busy_rdvs", "payload")
