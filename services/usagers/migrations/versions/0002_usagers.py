"""usagers, their search columns, and the projections of RDVs, motifs and lieux

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.usagers.adapters.tables import PHONE_SEARCH_SQL, SORT_NAME_SQL, WORDS_SQL

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UUID = postgresql.UUID(as_uuid=True)


def upgrade() -> None:
    op.execute("create extension if not exists unaccent")
    op.execute("create extension if not exists btree_gin")
    # unaccent() is only STABLE (it reads its dictionary by name); pinning the dictionary
    # makes an IMMUTABLE wrapper that generated columns and indexes may use.
    op.execute(
        "create or replace function rdv_unaccent(text) returns text "
        "language sql immutable parallel safe strict "
        "as $$ select public.unaccent('public.unaccent'::regdictionary, $1) $$"
    )
    op.create_table(
        "usagers",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("birth_name", sa.Text),
        sa.Column("birth_date", sa.Date),
        sa.Column("email", sa.Text),
        sa.Column("phone", sa.Text),
        sa.Column("address", sa.Text),
        sa.Column("notify_by_sms", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("notify_by_email", sa.Boolean, nullable=False, server_default=sa.text("true")),
        sa.Column("responsible_id", UUID, sa.ForeignKey("usagers.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", UUID),
        sa.Column("anonymized_at", sa.DateTime(timezone=True)),
        sa.Column("service_ids", postgresql.ARRAY(UUID), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("search", postgresql.TSVECTOR, sa.Computed(WORDS_SQL, persisted=True)),
        sa.Column("phone_search", sa.Text(collation="C"), sa.Computed(PHONE_SEARCH_SQL, persisted=True)),
        sa.Column("email_search", sa.Text(collation="C"), sa.Computed("lower(email)", persisted=True)),
        sa.Column("sort_name", sa.Text(collation="C"), sa.Computed(SORT_NAME_SQL, persisted=True)),
    )
    op.create_index("usagers_search", "usagers", ["organisation_id", "search", "service_ids"],
                    postgresql_using="gin")
    op.create_index("usagers_phone_search", "usagers", ["organisation_id", "phone_search"])
    op.create_index("usagers_email_search", "usagers", ["organisation_id", "email_search"])
    op.create_index("usagers_sort_name", "usagers", ["organisation_id", "sort_name"])
    op.create_index("usagers_birth_date", "usagers", ["organisation_id", "birth_date"])
    op.create_index("usagers_responsible", "usagers", ["responsible_id"])

    op.create_table(
        "rdvs",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("service_id", UUID),
        sa.Column("motif_id", UUID, nullable=False),
        sa.Column("lieu_id", UUID),
        sa.Column("agent_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("usager_ids", postgresql.ARRAY(UUID), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "rdv_usagers",
        sa.Column("usager_id", UUID, primary_key=True),
        sa.Column("rdv_id", UUID, primary_key=True),
        sa.Column("organisation_id", UUID, nullable=False),
        sa.Column("service_id", UUID),
    )
    op.create_index("rdv_usagers_usager_service", "rdv_usagers", ["usager_id", "service_id"])
    op.create_index("rdv_usagers_rdv", "rdv_usagers", ["rdv_id"])
    for name, extra in (("motifs", [sa.Column("service_id", UUID)]), ("lieux", [sa.Column("address", sa.Text)])):
        op.create_table(
            name,
            sa.Column("id", UUID, primary_key=True),
            sa.Column("organisation_id", UUID, nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            *extra,
            sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.text("false")),
            sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    for name in ("lieux", "motifs", "rdv_usagers", "rdvs", "usagers"):
        op.drop_table(name)
    op.execute("drop function if exists rdv_unaccent(text)")
