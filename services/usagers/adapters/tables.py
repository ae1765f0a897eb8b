"""SQLAlchemy tables of the usagers service.

`usagers.search` and `usagers.phone_search` are maintained by PostgreSQL itself
(generated columns), so every write path, bulk loads included, keeps them right.
The SQL of both lives here once and the migration uses the same strings.
"""
from sqlalchemy import (Boolean, Column, Computed, Date, DateTime, ForeignKey, Index, Integer, MetaData,
                        Table, Text, func, text)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID

from shared.tables import add_platform_tables

metadata = MetaData()
outbox, inbox = add_platform_tables(metadata)

# Words of the names, unaccented (rdv_unaccent, created by migration 0002), plus each name with
# its separators removed ("N'Diaye" -> "ndiaye", "Jean-Pierre" -> "jeanpierre"). The 'simple'
# parser also splits hyphenated words into their parts, so "pierre" finds "Jean-Pierre".
WORDS_SQL = (
    "to_tsvector('simple'::regconfig, rdv_unaccent("
    "first_name || ' ' || last_name || ' ' || coalesce(birth_name, '') || ' ' || "
    "regexp_replace(first_name, '[^[:alnum:]]+', '', 'g') || ' ' || "
    "regexp_replace(last_name, '[^[:alnum:]]+', '', 'g') || ' ' || "
    "regexp_replace(coalesce(birth_name, ''), '[^[:alnum:]]+', '', 'g')))"
)
# The search column holds those words keyed by the organisation (rdv_org_words, migration 0003:
# "martin" -> "<organisation id in hex>martin"), and queries are keyed the same way (rdv_org_query).
# A name prefix then reads, in the GIN index, the posting lists of its own organisation only: with
# one index entry per word for the whole country, "mar":* gathered every organisation's Martins and
# Maries (past work_mem, as lossy pages) before keeping the organisation's, so each search grew
# with the number of usagers elsewhere.
SEARCH_SQL = f"rdv_org_words(organisation_id, {WORDS_SQL})"
# What an agent types for a phone: the national form with its 0 for France and the DOM
# ("0612345678", "0690123456"), the international digits for other countries.
PHONE_SEARCH_SQL = (
    "case when phone is null then null "
    "when starts_with(phone, '+33') then '0' || substr(phone, 4) "
    "when phone ~ '^[+](590|594|596|262)' then '0' || substr(phone, 5) "
    "else substr(phone, 2) end"
)
SORT_NAME_SQL = "lower(rdv_unaccent(last_name || ' ' || first_name))"

usagers = Table(
    "usagers", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("birth_name", Text),
    Column("birth_date", Date),
    Column("email", Text),
    Column("phone", Text),
    Column("address", Text),
    Column("notify_by_sms", Boolean, nullable=False, server_default=text("true")),
    Column("notify_by_email", Boolean, nullable=False, server_default=text("true")),
    Column("responsible_id", UUID(as_uuid=True), ForeignKey("usagers.id")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("created_by", UUID(as_uuid=True)),
    Column("anonymized_at", DateTime(timezone=True)),
    # services in which the usager has a past or upcoming RDV (scope=service), kept by the
    # usagers-rdv consumer from rdv_usagers; in the search index so the filter costs nothing
    Column("service_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")),
    Column("search", TSVECTOR, Computed(SEARCH_SQL, persisted=True)),
    Column("phone_search", Text(collation="C"), Computed(PHONE_SEARCH_SQL, persisted=True)),
    Column("email_search", Text(collation="C"), Computed("lower(email)", persisted=True)),
    Column("sort_name", Text(collation="C"), Computed(SORT_NAME_SQL, persisted=True)),
)
Index("usagers_search", usagers.c.search, usagers.c.service_ids, postgresql_using="gin")
# Counts the organisation's usagers (the search's total without a query) from the index alone.
Index("usagers_active", usagers.c.organisation_id, postgresql_where=usagers.c.anonymized_at.is_(None))
Index("usagers_phone_search", usagers.c.organisation_id, usagers.c.phone_search)
Index("usagers_email_search", usagers.c.organisation_id, usagers.c.email_search)
Index("usagers_sort_name", usagers.c.organisation_id, usagers.c.sort_name)
Index("usagers_birth_date", usagers.c.organisation_id, usagers.c.birth_date)
Index("usagers_responsible", usagers.c.responsible_id)

# Projection of booking.rdv.* : what the fiche and scope=service need.
rdvs = Table(
    "rdvs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("service_id", UUID(as_uuid=True)),
    Column("motif_id", UUID(as_uuid=True), nullable=False),
    Column("lieu_id", UUID(as_uuid=True)),
    Column("agent_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("usager_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False),
    Column("version", Integer, nullable=False),
)

# One row per (usager, rdv): the fiche's index, and the source of usagers.service_ids.
rdv_usagers = Table(
    "rdv_usagers", metadata,
    Column("usager_id", UUID(as_uuid=True), primary_key=True),
    Column("rdv_id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("service_id", UUID(as_uuid=True)),
)
Index("rdv_usagers_usager_service", rdv_usagers.c.usager_id, rdv_usagers.c.service_id)
Index("rdv_usagers_rdv", rdv_usagers.c.rdv_id)

# Projections of availability.motif.* and availability.lieu.* (names for the fiche).
motifs = Table(
    "motifs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("service_id", UUID(as_uuid=True)),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
lieux = Table(
    "lieux", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("organisation_id", UUID(as_uuid=True), nullable=False),
    Column("name", Text, nullable=False),
    Column("address", Text),
    Column("deleted", Boolean, nullable=False, server_default=text("false")),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
