"""An agent creates a recurring plage d'ouverture from the UI."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import create_plage, login, open_page


def test_create_a_recurring_plage(page, setup):
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/plages")
    expect(page.get_by_text("Aucune plage d'ouverture.")).to_be_visible()
    form = page.locator("#plage-form")
    form.get_by_label("Titre").fill("Permanence du lundi")
    form.get_by_label("Lieu").select_option(setup.lieu["id"])
    form.get_by_label(setup.motif["name"]).check()
    form.get_by_label("Premier jour").fill("2027-03-01")
    form.get_by_label("Heure de début").fill("09:00")
    form.get_by_label("Heure de fin").fill("12:00")
    form.get_by_label("Permanente (répétée chaque semaine)").check()
    expect(form.get_by_label("lundi")).to_be_checked()  # the first day's weekday is suggested
    form.get_by_label("mercredi").check()
    form.get_by_label("Fréquence").select_option("2")
    form.get_by_role("button", name="Enregistrer la plage").click()
    expect(page.locator("#flash")).to_contain_text("Plage d'ouverture créée.")
    row = page.locator("#plages-list tr", has_text="Permanence du lundi")
    expect(row).to_contain_text("Permanente : lundi, mercredi, toutes les 2 semaines, sans date de fin")
    expect(row).to_contain_text("09 h 00 – 12 h 00")

    # Edit it: an end date.
    row.get_by_role("button", name="Modifier").click()
    expect(form.get_by_label("Titre")).to_have_value("Permanence du lundi")
    expect(form.get_by_label("mercredi")).to_be_checked()
    form.get_by_label("Date de fin").fill("2027-06-30")
    form.get_by_role("button", name="Enregistrer la plage").click()
    expect(page.locator("#flash")).to_contain_text("Plage d'ouverture modifiée.")
    expect(row).to_contain_text("toutes les 2 semaines jusqu'au mercredi 30 juin 2027")

    with setup.org.admin() as admin:
        plages = admin.get("/api/v1/plages", params={"agent_id": setup.agent["id"]}).json()["items"]
    assert [(p["title"], p["recurrence"]) for p in plages] == [
        ("Permanence du lundi", {"every": "week", "interval": 2, "on": ["monday", "wednesday"], "until": "2027-06-30"})]


def test_a_wrong_plage_shows_the_error_then_an_overlap_shows_a_warning(page, setup):
    create_plage(setup)  # Monday to Friday, 09:00-12:00
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/plages")
    form = page.locator("#plage-form")
    form.get_by_label("Titre").fill("Renfort")
    form.get_by_label("Lieu").select_option(setup.lieu["id"])
    form.get_by_label(setup.motif["name"]).check()
    form.get_by_label("Premier jour").fill("2027-03-02")
    form.get_by_label("Heure de début").fill("11:00")
    form.get_by_label("Heure de fin").fill("10:00")
    form.get_by_role("button", name="Enregistrer la plage").click()
    expect(form.locator(".error-box")).to_have_text("L'heure de fin doit être après l'heure de début.")
    end = form.get_by_label("Heure de fin")
    expect(end).to_have_attribute("aria-invalid", "true")  # the field's message is tied to its input
    expect(end).to_have_accessible_description("L'heure de fin doit être après l'heure de début.")
    expect(page.locator("#plages-list tr", has_text="Renfort")).to_have_count(0)

    form.get_by_label("Heure de fin").fill("13:00")
    form.get_by_role("button", name="Enregistrer la plage").click()
    expect(page.locator("#flash .notice.warning")).to_contain_text("chevauche la plage « Permanence »")
    expect(page.locator("#plages-list tr", has_text="Renfort")).to_contain_text("Exceptionnelle")
