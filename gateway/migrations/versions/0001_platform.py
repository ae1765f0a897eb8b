"""platform tables: outbox and inbox

Revision ID: 0001
Revises:
"""
from shared.migrations_ops import create_platform_tables, drop_platform_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_platform_tables()


def downgrade() -> None:
    drop_platform_tables()
