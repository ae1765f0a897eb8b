"""Statistics from real events: every group_by, visibility, idempotency, older versions ignored."""
from __future__ import annotations

import uuid

import psycopg
import pytest

from tests.integration.reporting.conftest import World, publish, stats, wait_total
from tests.support.service import make_identity


async def _world(js) -> World:
    w = World(js)
    await w.organisation()
    await w.service("pmi", "PMI")
    await w.service("rsa", "RSA")
    await w.agent("alice", "Alice", "Martin", ("pmi",))
    await w.agent("bruno", "Bruno", "Durand", ("rsa",))
    await w.agent("chloe", "Chloé", "Petit", ("rsa",))
    await w.motif("consult", "Consultation nourrisson", "pmi", "public_office")
    await w.motif("tel", "Entretien téléphonique RSA", "rsa", "phone")
    await w.lieu("mds", "MDS Centre")
    await w.lieu("annexe", "Annexe Nord")
    await w.usager("u1", "Léa", "Bernard", "2015-06-01")
    await w.usager("u2", "Marc", "Roux", "1980-01-01")
    return w


async def _five_rdvs(w: World) -> None:
    # weeks of 2027-03-01 (3 RDVs) and 2027-03-08 (2 RDVs); the clock of the service is real time,
    # so all of them are still to come (« à venir »).
    await w.rdv("r1", motif="consult", service="pmi", agents=["alice"], usagers=["u1"], lieu="mds",
                starts_at="2027-03-01T09:00:00+01:00", created_by="alice")
    await w.rdv("r2", motif="consult", service="pmi", agents=["alice", "bruno"], usagers=["u2"], lieu="mds",
                starts_at="2027-03-02T10:00:00+01:00", origin="usager")
    await w.rdv("r3", motif="tel", service="rsa", agents=["bruno"], usagers=["u2"],
                starts_at="2027-03-03T11:00:00+01:00", created_by="bruno")
    await w.rdv("r4", motif="tel", service="rsa", agents=["chloe"], usagers=["u1"], lieu="annexe",
                starts_at="2027-03-08T14:00:00+01:00", created_by="chloe")
    await w.rdv("r5", motif="consult", service="pmi", agents=["alice"], usagers=["u1", "u2"], lieu="annexe",
                starts_at="2027-03-09T08:30:00+01:00", created_by="alice")
    await w.status("r1", "seen", version=2, motif="consult", service="pmi", agents=["alice"], usagers=["u1"],
                   lieu="mds", starts_at="2027-03-01T09:00:00+01:00", created_by="alice")
    await w.status("r3", "noshow", version=2, motif="tel", service="rsa", agents=["bruno"], usagers=["u2"],
                   starts_at="2027-03-03T11:00:00+01:00", created_by="bruno")
    await w.status("r4", "excused", version=2, motif="tel", service="rsa", agents=["chloe"], usagers=["u1"],
                   lieu="annexe", starts_at="2027-03-08T14:00:00+01:00", created_by="chloe")


def _groups(result) -> dict:
    return {g["key"]: (g["label"], g["count"]) for g in result["groups"]}


async def test_stats_by_every_dimension(reporting, js):
    w = await _world(js)
    await _five_rdvs(w)
    admin = w.identity()
    wait_total(reporting, admin, 5, **{"from": "2027-03-01", "to": "2027-03-31"})
    # the three status changes are applied (a fact is replaced by its newer version)
    from tests.support.system import wait_until
    wait_until(lambda: stats(reporting, admin)["by_status"] == {"unknown": 2, "seen": 1, "noshow": 1, "excused": 1,
                                                                "revoked": 0}, timeout=20)
    window = {"from": "2027-03-01", "to": "2027-03-31"}

    by_status = stats(reporting, admin, group_by="status", **window)
    assert by_status["total"] == 5
    assert by_status["by_status"] == {"unknown": 2, "seen": 1, "noshow": 1, "excused": 1, "revoked": 0}
    assert by_status["by_display_status"]["a_venir"] == 2  # 2027 is after the real clock
    assert _groups(by_status)["seen"] == ("Rendez-vous honoré", 1)
    assert _groups(by_status)["revoked"] == ("Annulé (révoqué)", 0)
    assert by_status["as_of"]

    assert _groups(stats(reporting, admin, group_by="motif", **window)) == {
        str(w.motifs["consult"]): ("Consultation nourrisson", 3), str(w.motifs["tel"]): ("Entretien téléphonique RSA", 2)}
    assert _groups(stats(reporting, admin, group_by="service", **window)) == {
        str(w.services["pmi"]): ("PMI", 3), str(w.services["rsa"]): ("RSA", 2)}
    # an RDV with two agents counts for each of them
    assert _groups(stats(reporting, admin, group_by="agent", **window)) == {
        str(w.agents["alice"]): ("Alice Martin", 3), str(w.agents["bruno"]): ("Bruno Durand", 2),
        str(w.agents["chloe"]): ("Chloé Petit", 1)}
    assert _groups(stats(reporting, admin, group_by="lieu", **window)) == {
        str(w.lieux["mds"]): ("MDS Centre", 2), str(w.lieux["annexe"]): ("Annexe Nord", 2), None: ("Inconnu", 1)}
    assert _groups(stats(reporting, admin, group_by="location_type", **window)) == {
        "public_office": ("Sur place", 3), "phone": ("Par téléphone", 2)}
    weeks = stats(reporting, admin, group_by="week", **window)
    assert [(g["key"], g["label"], g["count"]) for g in weeks["groups"]] == [
        ("2027-03-01", "Semaine du 01/03/2027", 3), ("2027-03-08", "Semaine du 08/03/2027", 2)]
    assert _groups(stats(reporting, admin, group_by="origin", **window)) == {
        "agent": ("Créé par un agent", 4), "usager": ("Réservé en ligne par l'usager", 1)}
    motif_groups = {g["key"]: g["by_status"] for g in stats(reporting, admin, group_by="motif", **window)["groups"]}
    assert motif_groups[str(w.motifs["tel"])] == {"unknown": 0, "seen": 0, "noshow": 1, "excused": 1, "revoked": 0}

    # filters: window, service, agent, motif
    assert stats(reporting, admin, **{"from": "2027-03-08", "to": "2027-03-08"})["total"] == 1
    assert stats(reporting, admin, service_id=str(w.services["rsa"]))["total"] == 2
    assert stats(reporting, admin, agent_id=str(w.agents["alice"]))["total"] == 3
    assert stats(reporting, admin, motif_id=str(w.motifs["tel"]), **window)["total"] == 2


async def test_basic_agent_counts_rdvs_of_their_services_or_assigned_to_them(reporting, js):
    w = await _world(js)
    await _five_rdvs(w)
    wait_total(reporting, w.identity(), 5)
    # Bruno (RSA) sees the RSA RDVs (r3, r4) and the PMI RDV he is assigned to (r2)
    bruno = w.identity(role="basic", agent="bruno", services=("rsa",))
    assert stats(reporting, bruno)["total"] == 3
    # Alice (PMI) sees the three PMI RDVs
    alice = w.identity(role="basic", agent="alice", services=("pmi",))
    assert _groups(stats(reporting, alice, group_by="service")) == {str(w.services["pmi"]): ("PMI", 3)}
    # another organisation sees nothing of them
    assert stats(reporting, make_identity())["total"] == 0


async def test_redelivered_event_is_applied_once_and_older_version_is_ignored(reporting, js):
    w = await _world(js)
    admin = w.identity()
    common = dict(motif="consult", service="pmi", agents=["alice"], usagers=["u1"],
                  starts_at="2027-03-01T09:00:00+01:00")
    await w.rdv("r", **common)
    changed = await w.status("r", "seen", version=2, **common)
    from tests.support.system import wait_until
    wait_until(lambda: stats(reporting, admin)["by_status"]["seen"] == 1, timeout=20)

    # the same event again (a redelivery under another message id, so JetStream keeps it)
    await js.publish(changed.type, changed.to_json(), headers={"Nats-Msg-Id": f"again-{changed.id}"})
    # an older version arriving late (new event id): ignored, the RDV stays « seen »
    late = await publish(js, "booking.rdv.updated", w.id,
                         {"rdv": w.rdv_payload("r", status="unknown", version=1, **common), "changes": {}})
    marker = await w.rdv("marker", **{**common, "starts_at": "2027-03-05T09:00:00+01:00"})
    wait_total(reporting, admin, 2)  # everything published before the marker has been consumed

    result = stats(reporting, admin)
    assert result["by_status"]["seen"] == 1 and result["by_status"]["unknown"] == 1
    with psycopg.connect(reporting.database_url.replace("+psycopg", "")) as conn:
        # reporting-facts' inbox (reporting-public records the same events for the pseudonymised ones)
        facts = "select count(*) from inbox where consumer = 'reporting-facts' and event_id = %s"
        inbox = conn.execute(facts, (changed.id,)).fetchone()[0]
        history = conn.execute("select count(*) from rdv_status_changes where rdv_id = %s",
                               (w.rdvs["r"],)).fetchone()[0]
        late_seen = conn.execute(facts, (late.id,)).fetchone()[0]
        version = conn.execute("select version from rdv_facts where id = %s", (w.rdvs["r"],)).fetchone()[0]
    assert inbox == 1 and history == 1
    assert late_seen == 1 and version == 2  # the late event was consumed, and changed nothing
    assert marker


@pytest.mark.parametrize("params, field", [
    ({"from": "2027-03-10", "to": "2027-03-01"}, "body"),
    ({"group_by": "colour"}, "group_by"),
    ({"from": "01/03/2027"}, "from"),
    ({"status": "lost"}, "status"),
    ({"from": "0001-01-01"}, "from"),  # found by schemathesis: turned into UTC, year 1 overflowed (500)
    ({"to": "9999-12-31"}, "to"),
])
def test_bad_stats_query_is_a_422_in_french(reporting, params, field):
    with reporting.client(make_identity()) as c:
        resp = c.get("/v1/stats", params=params)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["code"] == "validation_error"


def test_stats_need_a_signed_identity(reporting):
    with reporting.client() as c:
        assert c.get("/v1/stats").status_code == 401
    assert uuid


async def test_versions_published_back_to_back_keep_the_newest(reporting, js):
    w = await _world(js)
    admin = w.identity()
    common = dict(motif="consult", service="pmi", agents=["alice"], usagers=["u1"],
                  starts_at="2027-03-01T09:00:00+01:00")
    # likely one fetched batch: v1, v3, v2 (reordered), and v1 again as an update
    await w.rdv("r", **common)
    await w.status("r", "revoked", version=3, previous="seen", **common)
    await w.status("r", "seen", version=2, **common)
    await publish(js, "booking.rdv.updated", w.id, {"rdv": w.rdv_payload("r", version=1, **common), "changes": {}})
    await w.rdv("marker", **{**common, "starts_at": "2027-03-05T09:00:00+01:00"})
    wait_total(reporting, admin, 2)
    assert stats(reporting, admin)["by_status"]["revoked"] == 1
    with psycopg.connect(reporting.database_url.replace("+psycopg", "")) as conn:
        history = conn.execute("select version, status from rdv_status_changes where rdv_id = %s order by version",
                               (w.rdvs["r"],)).fetchall()
    assert history == [(2, "seen"), (3, "revoked")]  # every status change is kept, whatever the order
