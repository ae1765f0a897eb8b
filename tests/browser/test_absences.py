"""An indisponibilité over an RDV lists it and offers to cancel it and tell the usager; deleting one asks first."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import book, create_plage, login, open_page
from tests.support.system import wait_until


def test_an_absence_over_an_rdv_offers_its_cancellation(page, setup):
    create_plage(setup)
    _, rdv = book(setup, "2027-03-03T10:00:00+01:00", first_name="Inès", last_name="Roux")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/absences")
    expect(page.get_by_role("heading", name="Indisponibilités", level=1)).to_be_visible()
    form = page.locator("#absence-form")
    form.get_by_label("Motif de l'indisponibilité").fill("Formation")
    form.get_by_label("Premier jour").fill("2027-03-03")
    form.get_by_label("Heure de début").fill("08:00")
    form.get_by_label("Dernier jour").fill("2027-03-03")
    form.get_by_label("Heure de fin").fill("18:00")
    form.get_by_role("button", name="Enregistrer l'indisponibilité").click()

    conflicts = page.locator("#conflicts")
    expect(conflicts).to_be_visible()
    expect(conflicts).to_contain_text("mercredi 3 mars 2027 à 10 h 00")
    expect(conflicts).to_contain_text("Inès Roux")
    expect(page.locator("#absences-list")).to_contain_text("Formation")
    page.get_by_role("button", name="Annuler ces RDV et prévenir les usagers").click()
    expect(page.locator("#flash")).to_contain_text("1 RDV annulé ; les usagers sont prévenus.")
    expect(conflicts).to_be_hidden()

    with setup.org.admin() as admin:
        assert admin.get(f"/api/v1/rdvs/{rdv['id']}").json()["status"] == "revoked"
        wait_until(lambda: any(n["kind"] == "cancellation"
                               for n in admin.get(f"/api/v1/rdvs/{rdv['id']}/notifications").json()),
                   timeout=20, interval=0.3, message="cancellation notification")

    # Deleting the indisponibilité asks first, in a DSFR modal.
    page.get_by_role("button", name="Supprimer Formation").click()
    confirm = page.get_by_role("dialog", name="Supprimer l'indisponibilité « Formation » ?")
    expect(confirm).to_contain_text("du mercredi 3 mars 2027 à 08 h 00 au mercredi 3 mars 2027 à 18 h 00")
    confirm.get_by_role("button", name="Supprimer l'indisponibilité").click()
    expect(page.locator("#flash")).to_contain_text("Indisponibilité supprimée.")
    expect(page.locator("#absences-list")).not_to_contain_text("Formation")
