"""read positions: per organisation, the stream positions its writes were answered with

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 19:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('read_positions',
    sa.Column('organisation_id', sa.UUID(), nullable=False),
    sa.Column('stream', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('organisation_id', 'stream')
    )


def downgrade() -> None:
    op.drop_table('read_positions')
