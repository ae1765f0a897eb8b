"""notifications: an email message's row stays inline (no TOAST), messages_usager dropped

An email's row (text, HTML, .ics) is 2 to 3 kB: past the default toast_tuple_target (2 kB) each insert
tried to compress its largest values (the .ics barely compresses) and then moved the attachment to the
TOAST table (one more row and index entry), and every read of it (delivery, dev copy) fetched it back.
With toast_tuple_target at its maximum, a row up to a page stays inline, uncompressed.

messages_usager served no query: the anonymisation's condition (usager id OR recipient address OR an RDV
of theirs) is an OR that one index cannot answer, and nothing else filters by usager_id; it cost an index
entry per insert and per (non-HOT) status update of every message.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("alter table messages set (toast_tuple_target = 8160)")
    op.drop_index("messages_usager", table_name="messages")


def downgrade() -> None:
    op.create_index("messages_usager", "messages", ["usager_id"])
    op.execute("alter table messages reset (toast_tuple_target)")
