"""notifications: the dev inbox is a view of the messages sent, no longer a copy of each

Every message sent in dev/test was copied into dev_messages by the delivery round (one more row and
three index entries per message, and its attachments' file names aggregated); the message's own row
already holds all of it. The view keeps the table's name and columns (the dev route and the RGPD checks
read it): a message is listed once sent, until an anonymisation erases its content (body '', as a sent
message never has) or a purge deletes it, which is when its copy was deleted.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

U = postgresql.UUID(as_uuid=True)

VIEW = """
create view dev_messages as
select m.id, m.id as message_id, m.organisation_id, m.channel, m.recipient as "to", m.subject, m.body,
  (select coalesce(jsonb_agg(a -> 'filename' order by n), '[]'::jsonb)
   from jsonb_array_elements(m.attachments) with ordinality as x(a, n)) as attachments,
  m.rdv_id, m.kind, m.sent_at as created_at
from messages as m
where m.status = 'sent' and m.body <> ''
"""


def upgrade() -> None:
    op.drop_index("dev_messages_created", table_name="dev_messages")
    op.drop_table("dev_messages")
    op.execute(VIEW)


def downgrade() -> None:
    op.execute("drop view dev_messages")
    op.create_table(
        "dev_messages", sa.Column("id", U, primary_key=True), sa.Column("message_id", U, nullable=False, unique=True),
        sa.Column("organisation_id", U, nullable=False), sa.Column("channel", sa.Text, nullable=False),
        sa.Column("to", sa.Text, nullable=False), sa.Column("subject", sa.Text), sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachments", postgresql.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("rdv_id", U), sa.Column("kind", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False))
    op.create_index("dev_messages_created", "dev_messages", ["created_at"])
    # the copies the delivery rounds would have made
    op.execute('insert into dev_messages (id, message_id, organisation_id, channel, "to", subject, body, attachments, '
               "rdv_id, kind, created_at) select gen_random_uuid(), m.id, m.organisation_id, m.channel, m.recipient, "
               "m.subject, m.body, (select coalesce(jsonb_agg(a -> 'filename' order by n), '[]'::jsonb) "
               "from jsonb_array_elements(m.attachments) with ordinality as x(a, n)), m.rdv_id, m.kind, m.sent_at "
               "from messages as m where m.status = 'sent' and m.body <> ''")
