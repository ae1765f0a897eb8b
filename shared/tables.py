"""Tables every service database has: the outbox and the inbox (processed events)."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, MetaData, Table, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID


def add_platform_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare the outbox and inbox tables on a service's metadata (for its migrations)."""
    outbox = Table(
        "outbox", metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("subject", Text, nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", BigInteger, nullable=False, server_default=text("0")),
        Column("last_error", Text),
    )
    Index("outbox_unsent", outbox.c.seq, postgresql_where=outbox.c.sent_at.is_(None))
    inbox = Table(
        "inbox", metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("subject", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return outbox, inbox


_platform = MetaData()
outbox_table, inbox_table = add_platform_tables(_platform)
