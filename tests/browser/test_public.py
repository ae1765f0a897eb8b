"""An usager books online on /prendre-rdv/<slug>: motif -> lieu -> horaire -> coordonnées -> confirmation."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import api_ok, create_plage, open_page
from tests.support.system import wait_until


def test_an_usager_books_on_the_public_page(page, setup):
    create_plage(setup, first_day="2027-03-02", on=("tuesday",))
    with setup.org.admin() as admin:
        org = api_ok(admin.patch("/api/v1/organisation", json={"publish_online": True}))
    open_page(page, f"/prendre-rdv/{org['slug']}")
    expect(page.get_by_text(org["name"])).to_be_visible()
    page.get_by_role("button", name=setup.motif["name"]).click()
    lieu = page.get_by_role("button", name=setup.lieu["name"])
    # Availability learns the plage through events: go back and forth until the lieu shows.
    wait_until(lambda: lieu.count() > 0 or (page.get_by_role("button", name="← Changer de motif").click(),
                                            page.get_by_role("button", name=setup.motif["name"]).click()),
               timeout=15, interval=0.5, message="lieu with créneaux")
    expect(lieu).to_contain_text("Prochaine disponibilité : mardi 2 mars 2027 à 09 h 00")
    lieu.click()
    page.get_by_role("button", name="mardi 2 mars 2027 à 09 h 30").click()
    page.get_by_label("Prénom").fill("Hugo")
    page.get_by_label("Nom", exact=True).fill("Moreau")
    page.get_by_label("Téléphone portable").fill("06 98 76 54 32")
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(page.get_by_role("heading", name="Votre rendez-vous est confirmé")).to_be_visible()
    expect(page.locator("#confirmation")).to_contain_text("mardi 2 mars 2027 à 09 h 30")

    with setup.org.admin() as admin:
        rdvs = admin.get("/api/v1/rdvs", params={"agent_id": setup.agent["id"]}).json()["items"]
    assert [r["starts_at"] for r in rdvs] == ["2027-03-02T09:30:00+01:00"]


def test_an_organisation_that_does_not_publish_has_no_public_page(page, setup):
    with setup.org.admin() as admin:
        org = api_ok(admin.get("/api/v1/organisation"))
    response = page.goto(f"/prendre-rdv/{org['slug']}")
    assert response.status == 404
    expect(page.get_by_text("ne propose pas de prise de rendez-vous en ligne")).to_be_visible()
