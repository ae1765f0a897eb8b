"""Every page of the agents' UI loads its data without error, with the navigation of the role."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import create_plage, login, open_page

PAGES = {
    "/": "Agenda", "/trouver-un-rdv": "Trouver un RDV", "/plages": "Plages d'ouverture",
    "/absences": "Indisponibilités", "/usagers": "Usagers", "/rdvs": "Liste des RDV",
    "/statistiques": "Statistiques", "/mon-compte": "Mon compte",
}
ADMIN_PAGES = ["/admin/organisation", "/admin/services", "/admin/agents", "/admin/motifs", "/admin/lieux"]


def test_every_page_loads_for_an_admin(page, setup):
    create_plage(setup)
    login(page, setup.org.admin_email, "Admin-Pass-2027!")
    for path, title in PAGES.items():
        open_page(page, path)
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        expect(page.locator("#flash .notice.error")).to_have_count(0)
        expect(page.get_by_role("link", name=title).first).to_have_attribute("aria-current", "page")
    for path in ADMIN_PAGES:
        open_page(page, path)
        expect(page.get_by_role("heading", name="Administration", level=1)).to_be_visible()
        expect(page.locator("#flash .notice.error")).to_have_count(0)
        expect(page.locator("#admin table, #admin form").first).to_be_visible()


def test_a_basic_agent_has_no_administration(page, setup):
    login(page, setup.agent_email, setup.agent_password)
    expect(page.get_by_role("link", name="Administration")).to_be_hidden()
    open_page(page, "/admin/agents")
    expect(page.get_by_text("Cette page est réservée aux administrateurs")).to_be_visible()
