"""Usagers: search as you type, then the fiche (information, RDVs, statistics)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import book, create_plage, login, open_page
from tests.support.system import wait_until


def test_search_an_usager_and_open_their_fiche(page, setup, system):
    create_plage(setup)
    usager, _ = book(setup, "2027-03-02T10:00:00+01:00", first_name="Éloïse", last_name="Garnier")
    token = system.login(setup.agent_email, setup.agent_password)
    with system.client(token) as agent:  # the usagers service links the usager to the agent's service by events
        wait_until(lambda: agent.get("/api/v1/usagers", params={"q": "garnier"}).json()["total"] == 1,
                   timeout=20, interval=0.3, message="usager linked to the service")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/usagers")
    page.get_by_label(re.compile("Rechercher un usager")).fill("eloise")  # accent- and case-insensitive
    page.get_by_role("link", name="GARNIER Éloïse").click()
    expect(page.get_by_role("heading", name="Éloïse Garnier", level=1)).to_be_visible()
    expect(page.get_by_text("06 12 34 56 78")).to_be_visible()
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Rendez-vous à venir"))
    expect(upcoming).to_contain_text("mardi 2 mars 2027 à 10 h 00")
    expect(upcoming).to_contain_text(setup.motif["name"])
    expect(page.locator(".stat-card", has_text="RDV au total")).to_contain_text("1")
    assert usager["id"] in page.url

    page.get_by_role("button", name="Modifier ces informations").click()
    edit = page.locator("#usager-edit-form")
    edit.get_by_label("E-mail", exact=True).fill("pas-un-email")
    edit.get_by_role("button", name="Enregistrer").click()
    expect(edit.get_by_role("alert")).to_be_visible()
    edit.get_by_label("E-mail", exact=True).fill("eloise.garnier@example.org")
    edit.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("Informations de l'usager enregistrées.")
    expect(page.get_by_text("eloise.garnier@example.org")).to_be_visible()

    relative = page.locator("#relative-form")
    relative.get_by_label("Prénom").fill("Léo")
    relative.get_by_role("button", name="Ajouter le proche").click()
    expect(page.locator("#flash")).to_contain_text("Léo Garnier est ajouté(e) aux proches de Éloïse Garnier.")
    proches = page.locator("section", has=page.get_by_role("heading", name="Proches"))
    expect(proches.get_by_role("link", name="Léo Garnier")).to_be_visible()

    page.get_by_role("link", name="Voir ses rendez-vous dans la liste des RDV").click()
    expect(page.locator("#rdv-count")).to_have_text("1 rendez-vous")
    expect(page.locator("#rdv-list")).to_contain_text("Éloïse Garnier")


def test_ui_files_are_served_and_nothing_else(system):
    with system.client() as c:
        assert c.get("/vendor/fullcalendar.js").status_code == 200
        assert c.get("/vendor/chart.js").headers["content-type"].startswith("text/javascript")
        assert c.get("/static/js/app.js").status_code == 200
        assert c.get("/vendor/package.json").status_code == 404
        assert c.get("/static/../pages.py").status_code == 404
        assert c.get("/static/%2e%2e/pages.py").status_code == 404
        assert c.get("/web/events").status_code == 401
        login = c.get("/login")
        assert login.status_code == 200 and "Connexion à votre espace agent" in login.text
        assert c.get("/plages", follow_redirects=False).status_code == 303
