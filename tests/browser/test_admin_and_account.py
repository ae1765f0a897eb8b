"""Administration (lieux, « publier en ligne »), Mon compte (password), Statistiques."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import book, create_plage, login, open_page
from tests.support.system import wait_until


def test_an_admin_creates_a_lieu_and_publishes_online(page, setup, system):
    login(page, setup.org.admin_email, "Admin-Pass-2027!")
    expect(page.get_by_role("link", name="Administration")).to_be_visible()
    open_page(page, "/admin/lieux")
    form = page.locator("#lieu-form")
    form.get_by_label("Nom").fill("Mairie annexe")
    form.get_by_label("Adresse").fill("3 place de la République, 69001 Lyon")
    form.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("Lieu créé.")
    expect(page.get_by_role("cell", name="Mairie annexe")).to_be_visible()

    open_page(page, "/admin/organisation")
    page.get_by_label(re.compile("Publier en ligne")).check()
    observances = page.get_by_label(re.compile("Jours fériés qui ferment les agendas"))
    expect(observances).to_have_value("local")
    observances.select_option(label="Jours fériés légaux seulement")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("ses créneaux sont publiés en ligne")
    with setup.org.admin() as admin:
        assert admin.get("/api/v1/organisation").json()["publish_online"] is True
        assert admin.get("/api/v1/organisation").json()["holiday_observances"] == "statutory"
        assert "Mairie annexe" in [lieu["name"] for lieu in admin.get("/api/v1/lieux").json()["items"]]

    # Deleting asks first, in a DSFR modal.
    open_page(page, "/admin/lieux")
    page.get_by_role("row", name=re.compile("Mairie annexe")).get_by_role("button", name="Supprimer").click()
    confirm = page.get_by_role("dialog", name="Supprimer « Mairie annexe » ?")
    expect(confirm).to_have_class(re.compile(r"\bfr-modal\b"))
    confirm.get_by_role("button", name="Ne rien changer").click()
    expect(confirm).to_be_hidden()
    page.get_by_role("row", name=re.compile("Mairie annexe")).get_by_role("button", name="Supprimer").click()
    confirm.get_by_role("button", name="Supprimer", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("Élément supprimé.")
    expect(page.get_by_role("cell", name="Mairie annexe")).to_have_count(0)
    with setup.org.admin() as admin:
        assert "Mairie annexe" not in [lieu["name"] for lieu in admin.get("/api/v1/lieux").json()["items"]]


def test_an_admin_changes_their_password(page, setup, system):
    # The gateway lets only admins PATCH /agents/{id} (their own included) for now.
    login(page, setup.org.admin_email, "Admin-Pass-2027!")
    open_page(page, "/mon-compte")
    form = page.locator("#password-form")
    form.get_by_label(re.compile("^Nouveau mot de passe")).fill("Nouveau-Secret-2027!")
    form.get_by_label("Confirmez le nouveau mot de passe").fill("autre chose")
    form.get_by_role("button", name="Changer le mot de passe").click()
    expect(form.locator(".field-error")).to_have_text("Recopiez le même mot de passe.")
    form.get_by_label(re.compile("^Nouveau mot de passe")).fill("faible")
    form.get_by_label("Confirmez le nouveau mot de passe").fill("faible")
    form.get_by_role("button", name="Changer le mot de passe").click()
    expect(form.get_by_role("alert")).to_be_visible()  # the API's French message (weak password)
    form.get_by_label(re.compile("^Nouveau mot de passe")).fill("Nouveau-Secret-2027!")
    form.get_by_label("Confirmez le nouveau mot de passe").fill("Nouveau-Secret-2027!")
    form.get_by_role("button", name="Changer le mot de passe").click()
    expect(page.locator("#flash")).to_contain_text("Mot de passe changé.")
    assert system.login(setup.org.admin_email, "Nouveau-Secret-2027!")


def test_statistics_show_the_rdvs_of_the_period(page, setup, system):
    create_plage(setup)
    book(setup, "2027-03-02T10:00:00+01:00")
    token = system.login(setup.agent_email, setup.agent_password)
    with system.client(token) as agent:
        wait_until(lambda: agent.get("/api/v1/stats", params={"from": "2027-03-01", "to": "2027-03-31"})
                   .json().get("total") == 1, timeout=20, interval=0.3, message="reporting has the RDV")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/statistiques")
    expect(page.locator("#totals .stat-card").first).to_have_text("1RDV au total")
    expect(page.locator("#c-motif-text")).to_contain_text(f"{setup.motif['name']} : 1")
    expect(page.locator("canvas#c-week")).to_be_visible()
