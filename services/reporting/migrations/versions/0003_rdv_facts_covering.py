"""reporting: the statistics read an organisation's RDV facts from the index alone

Statistics count an organisation's facts over a period by status and by motif, service, lieu, origin
or week. Through (organisation_id, starts_at) alone each fact is a heap fetch, and in a national
database an organisation's facts of a year lie on as many pages as it has facts, among every other
organisation's: the cost grew with the database, not with the organisation. The same key with the
grouped columns included answers those counts by an index-only scan; it replaces the narrower index.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("create index rdv_facts_org_starts_covering on rdv_facts (organisation_id, starts_at) "
               "include (status, motif_id, service_id, lieu_id, origin)")
    op.execute("drop index rdv_facts_org_starts")


def downgrade() -> None:
    op.execute("create index rdv_facts_org_starts on rdv_facts (organisation_id, starts_at)")
    op.execute("drop index rdv_facts_org_starts_covering")
