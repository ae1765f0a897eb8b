"""notifications: projections, messages (send queue), reminders, dev inbox

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

U = postgresql.UUID(as_uuid=True)
TS = sa.DateTime(timezone=True)


def _deleted():
    return sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false"))


def upgrade() -> None:
    op.create_table("organisations", sa.Column("id", U, primary_key=True), sa.Column("name", sa.Text, nullable=False),
                    sa.Column("timezone", sa.Text, nullable=False, server_default="Europe/Paris"))
    op.create_table("services", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
                    sa.Column("name", sa.Text, nullable=False), sa.Column("short_name", sa.Text), _deleted())
    op.create_table("agents", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
                    sa.Column("email", sa.Text),
                    sa.Column("first_name", sa.Text, nullable=False, server_default=""),
                    sa.Column("last_name", sa.Text, nullable=False, server_default=""), _deleted())
    op.create_table("motifs", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
                    sa.Column("name", sa.Text, nullable=False), sa.Column("service_id", U, nullable=False),
                    sa.Column("location_type", sa.Text, nullable=False), _deleted())
    op.create_table("lieux", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
                    sa.Column("name", sa.Text, nullable=False),
                    sa.Column("address", sa.Text, nullable=False, server_default=""),
                    sa.Column("phone", sa.Text), _deleted())
    op.create_table(
        "usagers", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
        sa.Column("first_name", sa.Text, nullable=False, server_default=""),
        sa.Column("last_name", sa.Text, nullable=False, server_default=""),
        sa.Column("email", sa.Text), sa.Column("phone", sa.Text),
        sa.Column("notify_by_sms", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("notify_by_email", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("responsible_id", U),
        sa.Column("anonymized", sa.Boolean, nullable=False, server_default=sa.text("false")))
    op.create_table(
        "rdvs", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
        sa.Column("version", sa.Integer, nullable=False), sa.Column("motif_id", U, nullable=False),
        sa.Column("lieu_id", U), sa.Column("agent_ids", postgresql.ARRAY(U), nullable=False),
        sa.Column("usager_ids", postgresql.ARRAY(U), nullable=False),
        sa.Column("starts_at", TS, nullable=False), sa.Column("ends_at", TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False))
    op.create_table(
        "messages", sa.Column("id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
        sa.Column("rdv_id", U, nullable=False), sa.Column("usager_id", U), sa.Column("agent_id", U),
        sa.Column("cause_id", U, nullable=False), sa.Column("channel", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False), sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text), sa.Column("body", sa.Text, nullable=False), sa.Column("html", sa.Text),
        sa.Column("attachments", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", TS, nullable=False), sa.Column("rdv_starts_at", TS, nullable=False),
        sa.Column("sent_at", TS), sa.Column("last_error", sa.Text), sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("cause_id", "channel", "recipient", name="messages_once_per_cause"))
    op.create_index("messages_due", "messages", ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'"))
    op.create_index("messages_rdv", "messages", ["rdv_id"])
    op.create_index("messages_usager", "messages", ["usager_id"])
    op.create_table(
        "reminders", sa.Column("rdv_id", U, primary_key=True), sa.Column("organisation_id", U, nullable=False),
        sa.Column("occurrence_id", U, nullable=False), sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()))
    op.create_index("reminders_due", "reminders", ["due_at"], postgresql_where=sa.text("status = 'scheduled'"))
    op.create_table(
        "dev_messages", sa.Column("id", U, primary_key=True), sa.Column("message_id", U, nullable=False, unique=True),
        sa.Column("organisation_id", U, nullable=False), sa.Column("channel", sa.Text, nullable=False),
        sa.Column("to", sa.Text, nullable=False), sa.Column("subject", sa.Text), sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachments", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("rdv_id", U), sa.Column("kind", sa.Text, nullable=False), sa.Column("created_at", TS, nullable=False))
    op.create_index("dev_messages_created", "dev_messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("dev_messages_created", table_name="dev_messages")
    op.drop_table("dev_messages")
    op.drop_index("reminders_due", table_name="reminders")
    op.drop_table("reminders")
    for name in ("messages_usager", "messages_rdv", "messages_due"):
        op.drop_index(name, table_name="messages")
    op.drop_table("messages")
    for name in ("rdvs", "usagers", "lieux", "motifs", "agents", "services", "organisations"):
        op.drop_table(name)
