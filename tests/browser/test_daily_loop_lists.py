"""The agent's daily loop outside the agenda (issue 17): « Liste des RDV » (move by form, « À renseigner »,
bulk « honoré »), the usager's fiche (cancel by the service), and a plage deleted while it holds RDVs.
Every journey checks its result through the API."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import api_ok, book, create_plage, login, open_page
from tests.support.system import wait_until


def rdv_of(setup, rdv_id: str) -> dict:
    with setup.org.admin() as admin:
        return api_ok(admin.get(f"/api/v1/rdvs/{rdv_id}"))


def test_move_an_rdv_by_form_from_the_list(page, setup):
    create_plage(setup)  # Monday to Friday 09:00-12:00
    usager, rdv = book(setup, "2027-03-02T10:00:00+01:00", first_name="Paul", last_name="Bernard")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/rdvs")
    row = page.locator("#rdv-list tr", has_text="Paul Bernard")
    row.get_by_role("button", name="Modifier le RDV du mardi 2 mars 2027 à 10 h 00").click()
    form = page.get_by_role("dialog", name="Modifier le rendez-vous")
    expect(form.get_by_label("Jour")).to_have_value("2027-03-02")
    form.get_by_label("Jour").fill("2027-03-04")
    form.get_by_label("Heure").fill("11:00")
    expect(form).to_contain_text("L'usager sera prévenu du nouvel horaire : Paul Bernard par SMS.")
    form.get_by_role("button", name="Enregistrer", exact=True).click()
    confirm = page.get_by_role("dialog", name="Enregistrer et prévenir l'usager ?")
    expect(confirm).to_contain_text("Ancien horaire : mardi 2 mars 2027 à 10 h 00")
    expect(confirm).to_contain_text("Nouvel horaire : jeudi 4 mars 2027 à 11 h 00")
    confirm.get_by_role("button", name="Enregistrer et prévenir").click()
    expect(form).to_be_hidden()
    expect(page.locator("#flash")).to_contain_text("RDV du jeudi 4 mars 2027 à 11 h 00 mis à jour.")
    expect(row).to_contain_text("jeudi 4 mars 2027 à 11 h 00")
    assert rdv_of(setup, rdv["id"])["starts_at"] == "2027-03-04T11:00:00+01:00"

    # Outside the plages (14:00): the server's refusal shows in the form, which then offers to do it anyway.
    row.get_by_role("button", name=re.compile("^Modifier le RDV")).click()
    form.get_by_label("Heure").fill("14:00")
    form.get_by_role("button", name="Enregistrer", exact=True).click()
    page.get_by_role("dialog", name="Enregistrer et prévenir l'usager ?").get_by_role(
        "button", name="Enregistrer et prévenir").click()
    expect(form.locator(".error-box")).to_contain_text("Vous pouvez l'enregistrer quand même")
    expect(form.get_by_label("Heure")).to_have_attribute("aria-invalid", "true")
    assert rdv_of(setup, rdv["id"])["starts_at"] == "2027-03-04T11:00:00+01:00"
    form.get_by_role("button", name="Enregistrer quand même").click()
    expect(form).to_be_hidden()
    expect(row).to_contain_text("jeudi 4 mars 2027 à 14 h 00")
    assert rdv_of(setup, rdv["id"])["starts_at"] == "2027-03-04T14:00:00+01:00"

    # The usager was told of each move: the RDV's dialog lists the notifications.
    with setup.org.admin() as admin:
        wait_until(lambda: len([n for n in api_ok(admin.get(f"/api/v1/rdvs/{rdv['id']}/notifications"))
                                if n["kind"] == "change" and n["status"] == "sent"]) == 2,
                   timeout=20, interval=0.3, message="two change SMS sent")
    row.get_by_role("button", name=re.compile("^Détails du RDV")).click()
    notifications = page.get_by_role("dialog", name="Rendez-vous").get_by_role("region", name="Notifications envoyées")
    expect(notifications.get_by_role("row").filter(has_text="Modification")).to_have_count(2)


def test_the_a_renseigner_filter_and_marking_a_day_honore(page, setup):
    create_plage(setup)
    book(setup, "2027-03-01T09:00:00+01:00", first_name="Alice", last_name="Aubert")  # today: à renseigner
    book(setup, "2027-03-01T09:30:00+01:00", first_name="Bruno", last_name="Blanc")
    _, later = book(setup, "2027-03-02T09:00:00+01:00", first_name="Chloé", last_name="Colin")  # à venir
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/rdvs")
    page.get_by_label("Statut").select_option(label="À renseigner")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#rdv-count")).to_have_text("2 rendez-vous")
    expect(page.locator("#rdv-list")).not_to_contain_text("Chloé Colin")
    assert "status=a_renseigner" in page.url

    page.get_by_label("Tout sélectionner").check()
    page.get_by_role("button", name="Marquer comme honorés (2)").click()
    confirm = page.get_by_role("dialog", name="Marquer 2 RDV comme honorés ?")
    expect(confirm).to_contain_text("Alice Aubert")
    confirm.get_by_role("button", name="Marquer comme honorés").click()
    expect(page.locator("#flash")).to_contain_text("2 RDV marqués comme honorés.")
    expect(page.locator("#rdv-list tbody .badge")).to_have_text(["Honoré", "Honoré"])

    page.get_by_label("Statut").select_option(label="À venir")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#rdv-count")).to_have_text("1 rendez-vous")
    expect(page.locator("#rdv-list")).to_contain_text("Chloé Colin")
    # Not its day yet: no outcome, nothing to select.
    expect(page.locator("#rdv-list").get_by_role("button", name=re.compile("Rendez-vous honoré"))).to_have_count(0)
    expect(page.locator("#rdv-list .bulk-check")).to_have_count(0)

    with setup.org.admin() as admin:
        rdvs = api_ok(admin.get("/api/v1/rdvs", params={"agent_id": setup.agent["id"]}))["items"]
    assert [(r["starts_at"][11:16], r["status"]) for r in rdvs] == [("09:00", "seen"), ("09:30", "seen"), ("09:00", "unknown")]
    assert rdvs[2]["id"] == later["id"]


def test_cancel_by_the_service_from_the_usager_fiche(page, setup):
    create_plage(setup)
    usager, rdv = book(setup, "2027-03-03T11:00:00+01:00", first_name="Nina", last_name="Dupont")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, f"/usagers/{usager['id']}")
    page.get_by_role("button", name="Ouvrir le RDV du mercredi 3 mars 2027 à 11 h 00").click()
    dialog = page.get_by_role("dialog", name="Rendez-vous")
    dialog.get_by_role("button", name="Annuler le RDV").click()
    cancel = page.get_by_role("dialog", name="Annuler le rendez-vous")
    expect(cancel).to_contain_text("L'usager sera prévenu de l'annulation : Nina Dupont par SMS.")
    cancel.get_by_label("Par le service").check()
    cancel.get_by_role("button", name="Confirmer l'annulation").click()
    expect(dialog.locator(".badge")).to_have_text("Annulé (par le service)")
    dialog.get_by_role("button", name="Fermer").click()
    expect(page.locator(f"tr[data-rdv-id='{rdv['id']}'] .badge")).to_have_text("Annulé (par le service)")
    got = rdv_of(setup, rdv["id"])
    assert (got["status"], got["allowed_statuses"]) == ("revoked", ["unknown"])


def test_deleting_a_plage_that_holds_rdvs_lists_them_and_asks(page, setup):
    kept_plage = create_plage(setup, first_day="2027-03-02", on=("tuesday",))
    cancelled_plage = create_plage(setup, first_day="2027-03-03", on=("wednesday",))
    _, kept = book(setup, "2027-03-02T10:00:00+01:00", first_name="Léa", last_name="Garnier")
    _, cancelled = book(setup, "2027-03-03T10:00:00+01:00", first_name="Marc", last_name="Henry")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/plages")
    rows = page.locator("#plages-list tbody tr")
    expect(rows).to_have_count(2)

    # Keep them: the plage goes, the RDV stays (outside every plage).
    rows.filter(has_text="mardi").get_by_role("button", name="Supprimer").click()
    dialog = page.get_by_role("dialog", name="Supprimer la plage « Permanence »")
    expect(dialog.locator("ul.orphans li")).to_have_text([re.compile(r"mardi 2 mars 2027 à 10 h 00 – 10 h 30 — Léa Garnier")])
    dialog.get_by_role("button", name="Ne rien faire").click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(2)
    rows.filter(has_text="mardi").get_by_role("button", name="Supprimer").click()
    dialog.get_by_role("button", name="Les garder").click()
    expect(page.locator("#flash")).to_have_text("Plage supprimée.")
    expect(rows).to_have_count(1)

    # Cancel them: the plage goes and the RDV is cancelled by the service.
    rows.filter(has_text="mercredi").get_by_role("button", name="Supprimer").click()
    expect(dialog.locator("ul.orphans li")).to_have_text([re.compile("Marc Henry")])
    dialog.get_by_role("button", name="Les annuler et prévenir les usagers").click()
    expect(page.locator("#flash")).to_contain_text("Plage supprimée. 1 rendez-vous annulé par le service : les usagers sont prévenus.")
    expect(page.get_by_text("Aucune plage d'ouverture.")).to_be_visible()

    with setup.org.admin() as admin:
        plages = api_ok(admin.get("/api/v1/plages", params={"agent_id": setup.agent["id"]}))["items"]
        assert {kept_plage["id"], cancelled_plage["id"]} & {p["id"] for p in plages} == set()
    assert rdv_of(setup, kept["id"])["status"] == "unknown"
    assert rdv_of(setup, cancelled["id"])["status"] == "revoked"


def test_shortening_a_plage_that_holds_an_rdv_lists_it_and_asks(page, setup):
    plage = create_plage(setup)  # Monday to Friday 09:00-12:00
    _, rdv = book(setup, "2027-03-02T11:30:00+01:00", first_name="Inès", last_name="Lambert")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/plages")
    page.locator("#plages-list tr", has_text="Permanence").get_by_role("button", name="Modifier").click()
    form = page.locator("#plage-form")
    form.get_by_label("Heure de fin").fill("11:00")
    form.get_by_role("button", name="Enregistrer la plage").click()
    dialog = page.get_by_role("dialog", name="Modifier la plage « Permanence »")
    expect(dialog).to_contain_text("Un rendez-vous à venir ne serait plus dans aucune plage d'ouverture")
    expect(dialog.locator("ul.orphans li")).to_have_text([re.compile("mardi 2 mars 2027 à 11 h 30 – 12 h 00 — Inès Lambert")])
    dialog.get_by_role("button", name="Les garder").click()
    expect(page.locator("#flash")).to_contain_text("Plage d'ouverture modifiée.")
    expect(page.locator("#plages-list tr", has_text="Permanence")).to_contain_text("09 h 00 – 11 h 00")

    with setup.org.admin() as admin:
        assert api_ok(admin.get(f"/api/v1/plages/{plage['id']}"))["end_time"][:5] == "11:00"
    assert rdv_of(setup, rdv["id"])["status"] == "unknown"
