"""notifications: webhooks of organisations, their deliveries, admins' role, messages without an RDV

Webhooks are delivered by this service (it consumes BOOKING and USAGERS, has a durable queue with
backoff and emails admins). `agents.role` tells who the organisation's admins are (known from the next
directory event of each agent). A message may now be about no RDV (a webhook disabled: an email to the
admins): rdv_id and rdv_starts_at become nullable.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

U = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("agents", sa.Column("role", sa.Text))
    op.alter_column("messages", "rdv_id", nullable=True)
    op.alter_column("messages", "rdv_starts_at", nullable=True)
    op.create_table(
        "webhooks", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
        sa.Column("url", sa.Text, nullable=False), sa.Column("events", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("pseudonymised", sa.Boolean, nullable=False, server_default=sa.text("false")),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("created_by", U), sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False), sa.Column("disabled_at", TS))
    op.create_index("webhooks_organisation", "webhooks", ["organisation_id"])
    op.create_table(
        "webhook_keys", sa.Column("organisation_id", U, primary_key=True),
        sa.Column("pseudonym_key", sa.Text, nullable=False))
    op.create_table(
        "webhook_deliveries", sa.Column("id", U, primary_key=True),
        sa.Column("webhook_id", U, sa.ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("organisation_id", U, nullable=False), sa.Column("cause_id", U, nullable=False),
        sa.Column("event", sa.Text, nullable=False), sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TS, nullable=False), sa.Column("status_code", sa.Integer),
        sa.Column("error", sa.Text), sa.Column("delivered_at", TS),
        sa.Column("history", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("webhook_id", "cause_id", "event", name="webhook_deliveries_once"))
    op.create_index("webhook_deliveries_due", "webhook_deliveries", ["next_attempt_at"],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index("webhook_deliveries_log", "webhook_deliveries", ["webhook_id", "created_at"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_keys")
    op.drop_table("webhooks")
    op.execute("delete from messages where rdv_id is null")
    op.alter_column("messages", "rdv_starts_at", nullable=False)
    op.alter_column("messages", "rdv_id", nullable=False)
    op.drop_column("agents", "role")
