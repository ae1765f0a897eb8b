"""availability: one row per agent of each busy RDV, indexed by agent and end, for the créneaux search

The créneaux search asks for the RDVs of some agents that overlap a window. Through the GIN index on
`busy_rdvs.agent_ids` it gets every RDV those agents ever had, years of history, and filters them on
time afterwards: its cost grew with the history kept. A btree on (agent_id, ends_at) reaches, per
agent, only the RDVs ending after the window starts: the agent's future, bounded by how far ahead
RDVs are booked, whatever the history. Kept by statement-level triggers (transition tables, so a
bulk insert or an upsert of many RDVs is one statement here too); deletes cascade.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        create table busy_agents (
            rdv_id uuid not null references busy_rdvs (id) on delete cascade,
            agent_id uuid not null,
            starts_at timestamptz not null,
            ends_at timestamptz not null,
            status text not null
        )""")
    op.execute("""
        create function busy_agents_inserted() returns trigger language plpgsql as $$
        begin
            insert into busy_agents (rdv_id, agent_id, starts_at, ends_at, status)
            select n.id, a.agent_id, n.starts_at, n.ends_at, n.status
            from new_rows n cross join lateral unnest(n.agent_ids) as a(agent_id);
            return null;
        end $$""")
    op.execute("""
        create function busy_agents_updated() returns trigger language plpgsql as $$
        begin
            delete from busy_agents b using old_rows o where b.rdv_id = o.id;
            insert into busy_agents (rdv_id, agent_id, starts_at, ends_at, status)
            select n.id, a.agent_id, n.starts_at, n.ends_at, n.status
            from new_rows n cross join lateral unnest(n.agent_ids) as a(agent_id);
            return null;
        end $$""")
    op.execute("create trigger busy_agents_insert after insert on busy_rdvs referencing new table as new_rows "
               "for each statement execute function busy_agents_inserted()")
    op.execute("create trigger busy_agents_update after update on busy_rdvs "
               "referencing old table as old_rows new table as new_rows "
               "for each statement execute function busy_agents_updated()")
    op.execute("insert into busy_agents (rdv_id, agent_id, starts_at, ends_at, status) "
               "select b.id, a.agent_id, b.starts_at, b.ends_at, b.status "
               "from busy_rdvs b cross join lateral unnest(b.agent_ids) as a(agent_id)")
    op.execute("create index busy_agents_agent_ends on busy_agents (agent_id, ends_at) include (starts_at, status)")
    op.execute("create index busy_agents_rdv on busy_agents (rdv_id)")


def downgrade() -> None:
    op.execute("drop trigger busy_agents_update on busy_rdvs")
    op.execute("drop trigger busy_agents_insert on busy_rdvs")
    op.execute("drop function busy_agents_updated()")
    op.execute("drop function busy_agents_inserted()")
    op.execute("drop table busy_agents")
