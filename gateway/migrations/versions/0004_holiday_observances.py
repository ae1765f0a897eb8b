"""holiday observances: per organisation, statutory holidays only or also the days observed locally

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 18:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing organisations keep what their agendas closed on until now: the locally observed days too
    op.add_column('organisations', sa.Column('holiday_observances', sa.Text(), server_default='local',
                                             nullable=False))


def downgrade() -> None:
    op.drop_column('organisations', 'holiday_observances')
