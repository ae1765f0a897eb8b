"""usager search keyed by organisation, and the organisation's count from an index

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.usagers.adapters.tables import SEARCH_SQL, WORDS_SQL

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Both rewrite the text form of their argument, where every lexeme stands between quotes (a quote
# inside one doubled): each lexeme gets the organisation's id in hex in front, and the positions,
# weights and prefix marks around it stay. A prefix query keyed this way matches exactly the keyed
# words that the unkeyed query matched unkeyed, so the search finds what it found before.
_KEY_LEXEMES = (
    "regexp_replace({value}::text, $re$'((?:[^']|'')*)'$re$, "
    "'''' || replace(organisation_id::text, '-', '') || '\\1''', 'g')::{type}"
)
ORG_WORDS = (
    "create or replace function rdv_org_words(organisation_id uuid, words tsvector) returns tsvector "
    "language sql immutable parallel safe strict "
    f"as $$ select {_KEY_LEXEMES.format(value='words', type='tsvector')} $$"
)
ORG_QUERY = (
    "create or replace function rdv_org_query(organisation_id uuid, query tsquery) returns tsquery "
    "language sql immutable parallel safe strict "
    f"as $$ select {_KEY_LEXEMES.format(value='query', type='tsquery')} $$"
)


def upgrade() -> None:
    op.execute(ORG_WORDS)
    op.execute(ORG_QUERY)
    # A generated column's expression cannot be altered before PostgreSQL 17: replace the column
    # (its index goes with it). The organisation is in every key now, so no longer a column of the index.
    op.drop_column("usagers", "search")
    op.add_column("usagers", sa.Column("search", postgresql.TSVECTOR, sa.Computed(SEARCH_SQL, persisted=True)))
    op.create_index("usagers_search", "usagers", ["search", "service_ids"], postgresql_using="gin")
    op.create_index("usagers_active", "usagers", ["organisation_id"],
                    postgresql_where=sa.text("anonymized_at is null"))


def downgrade() -> None:
    op.drop_index("usagers_active", "usagers")
    op.drop_column("usagers", "search")
    op.add_column("usagers", sa.Column("search", postgresql.TSVECTOR, sa.Computed(WORDS_SQL, persisted=True)))
    op.create_index("usagers_search", "usagers", ["organisation_id", "search", "service_ids"],
                    postgresql_using="gin")
    op.execute("drop function if exists rdv_org_query(uuid, tsquery)")
    op.execute("drop function if exists rdv_org_words(uuid, tsvector)")
