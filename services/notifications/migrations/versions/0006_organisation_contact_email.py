"""organisations: the contact e-mail (Reply-To of the organisation's e-mails)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 19:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("contact_email", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("organisations", "contact_email")
