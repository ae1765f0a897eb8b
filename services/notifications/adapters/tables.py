"""SQLAlchemy tables of the notifications service.

Projections (organisations, services, agents, motifs, lieux, usagers, rdvs) hold what a
message needs; `messages` is the durable send queue and its receipts; `reminders` the
reminder schedule; `dev_messages` the dev inbox (dev/test only), a view of the messages sent.
"""
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, Table, Text, UniqueConstraint,
                        func, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from shared.tables import add_platform_tables

metadata = MetaData()
outbox, inbox = add_platform_tables(metadata)

organisations = Table(
    "organisations", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", Text, nullable=False),
    Column("timezone", Text, nullable=False, server_default="Europe/Paris"),
    Column("contact_email", Text),  # Reply-To of its e-mails, when it has one
)

services = Table(
    "services", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("short_name", Text),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)

agents = Table(
    "agents", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("email", Text),
    Column("first_name", Text, nullable=False, server_default=""),
    Column("last_name", Text, nullable=False, server_default=""),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
    Column("role", Text),  # basic | admin (null: known before migration 0005, until the agent's next event)
)

motifs = Table(
    "motifs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("service_id", UUID(as_uuid=True), nullable=False),
    Column("location_type", Text, nullable=False),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)

lieux = Table(
    "lieux", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("address", Text, nullable=False, server_default=""),
    Column("phone", Text),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
)

usagers = Table(
    "usagers", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("first_name", Text, nullable=False, server_default=""),
    Column("last_name", Text, nullable=False, server_default=""),
    Column("email", Text),
    Column("phone", Text),
    Column("notify_by_sms", Boolean, nullable=False, server_default=text("true")),
    Column("notify_by_email", Boolean, nullable=False, server_default=text("true")),
    Column("responsible_id", UUID(as_uuid=True)),
    Column("anonymized", Boolean, nullable=False, server_default=text("false")),
)

rdvs = Table(
    "rdvs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("motif_id", UUID(as_uuid=True), nullable=False),
    Column("lieu_id", UUID(as_uuid=True)),
    Column("agent_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("usager_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
)

messages = Table(
    "messages", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("rdv_id", UUID(as_uuid=True)),  # null: not about an RDV (a webhook disabled, to the admins)
    Column("usager_id", UUID(as_uuid=True)),
    Column("agent_id", UUID(as_uuid=True)),
    # The cause: the event id (or the reminder occurrence id) that produced it.
    Column("cause_id", UUID(as_uuid=True), nullable=False),
    Column("channel", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("recipient", Text, nullable=False),
    Column("subject", Text),
    Column("body", Text, nullable=False),
    Column("html", Text),
    Column("attachments", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("status", Text, nullable=False, server_default="pending"),  # pending|sent|failed|cancelled
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("rdv_starts_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Redelivery of a cause never produces a second message to the same recipient.
    UniqueConstraint("cause_id", "channel", "recipient", name="messages_once_per_cause"),
    # An email's row (2-3 kB with its HTML and .ics) stays inline: no compression attempt, no TOAST row.
    postgresql_with={"toast_tuple_target": 8160},
)
Index("messages_due", messages.c.next_attempt_at, postgresql_where=messages.c.status == "pending")
Index("messages_rdv", messages.c.rdv_id)

reminders = Table(
    "reminders", metadata,
    Column("rdv_id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("occurrence_id", UUID(as_uuid=True), nullable=False),  # new id whenever due_at moves
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),  # scheduled|done|skipped|cancelled
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
Index("reminders_due", reminders.c.due_at, postgresql_where=reminders.c.status == "scheduled")

# The dev inbox (dev/test): a view of the messages sent, while they hold their content (migration 0004);
# attachments are their file names. Read only.
dev_messages = Table(
    "dev_messages", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("message_id", UUID(as_uuid=True), nullable=False),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("channel", Text, nullable=False),
    Column("to", Text, nullable=False),
    Column("subject", Text),
    Column("body", Text, nullable=False),
    Column("attachments", JSONB, nullable=False),
    Column("rdv_id", UUID(as_uuid=True)),
    Column("kind", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Webhooks (issue 23): endpoints of an organisation, and one delivery per (event, webhook), whose id is
# the X-Rdv-Delivery header of every attempt. `body` is the exact JSON signed and sent each time.
webhooks = Table(
    "webhooks", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("url", Text, nullable=False),
    Column("events", ARRAY(Text), nullable=False),
    Column("secret", Text, nullable=False),
    Column("pseudonymised", Boolean, nullable=False, server_default=text("false")),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("created_by", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True)),
)
Index("webhooks_organisation", webhooks.c.organisation_id)

webhook_keys = Table(  # per organisation, the key of the pseudonyms of usager ids
    "webhook_keys", metadata,
    Column("organisation_id", UUID(as_uuid=True), primary_key=True),
    Column("pseudonym_key", Text, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("webhook_id", UUID(as_uuid=True), ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("cause_id", UUID(as_uuid=True), nullable=False),  # the event id (a ping: the delivery's own id)
    Column("event", Text, nullable=False),  # rdv.created | ... | ping
    Column("body", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("delivered_at", DateTime(timezone=True)),
    Column("history", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("webhook_id", "cause_id", "event", name="webhook_deliveries_once"),
)
Index("webhook_deliveries_due", webhook_deliveries.c.next_attempt_at,
      postgresql_where=webhook_deliveries.c.status == "pending")
Index("webhook_deliveries_log", webhook_deliveries.c.webhook_id, webhook_deliveries.c.created_at)
