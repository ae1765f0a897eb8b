"""Form errors in plain French, all of a submit at once, next to their field; outcomes next to their form."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, open_page

TECHNICAL = re.compile(r"UUID|AAAA|ISO 8601|HH:MM|décalage|trop courte|Texte trop court|_id\b|_ids\b|Valeur invalide"
                       r"|attendue?\b|élément")


def test_an_empty_plage_says_every_missing_field_in_plain_french(page, setup):
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/plages")
    form = page.locator("#plage-form")
    form.get_by_role("button", name="Enregistrer la plage").click()

    box = form.locator(".error-box")
    expect(box).to_contain_text("4 champs sont à corriger :")
    expect(box.locator("li")).to_have_text(["Lieu : Choisissez un lieu.", "Motifs : Cochez au moins un motif.",
                                            "Heure de début : Indiquez l'heure de début.",
                                            "Heure de fin : Indiquez l'heure de fin."])
    lieu = form.get_by_label("Lieu")
    expect(lieu).to_have_attribute("aria-invalid", "true")
    expect(lieu).to_have_accessible_description("Choisissez un lieu.")
    expect(lieu).to_be_focused()
    motifs = form.get_by_role("group", name="Motifs")
    expect(motifs).to_have_attribute("aria-invalid", "true")
    expect(motifs).to_have_accessible_description("Cochez au moins un motif.")
    expect(form.get_by_label("Heure de début")).to_have_accessible_description("Indiquez l'heure de début.")
    expect(form.get_by_label("Heure de fin")).to_have_accessible_description("Indiquez l'heure de fin.")
    texts = [box.inner_text(), *form.locator(".field-error").all_inner_texts()]
    assert not [t for t in texts if TECHNICAL.search(t)], texts

    # Corrected, the form saves; the outcome shows right after the form, the errors are gone.
    lieu.select_option(setup.lieu["id"])
    motifs.get_by_label(setup.motif["name"]).check()
    form.get_by_label("Titre").fill("Permanence")
    form.get_by_label("Heure de début").fill("09:00")
    form.get_by_label("Heure de fin").fill("12:00")
    form.get_by_role("button", name="Enregistrer la plage").click()
    expect(page.locator("#plage-form + #flash .notice.success")).to_have_text("Plage d'ouverture créée.")
    expect(form.locator(".field-error")).to_have_count(0)
    expect(box).to_be_hidden()


def test_the_public_contact_form_says_what_is_missing(page, setup):
    from tests.browser.conftest import api_ok, create_plage
    from tests.support.system import wait_until

    create_plage(setup, first_day="2027-03-02", on=("tuesday",))
    with setup.org.admin() as admin:
        org = api_ok(admin.patch("/api/v1/organisation", json={"publish_online": True}))
    open_page(page, f"/prendre-rdv/{org['slug']}")
    page.get_by_role("button", name=setup.motif["name"]).click()
    lieu = page.get_by_role("button", name=setup.lieu["name"])
    wait_until(lambda: lieu.count() > 0 or (page.get_by_role("button", name="← Changer de motif").click(),
                                            page.get_by_role("button", name=setup.motif["name"]).click()),
               timeout=15, interval=0.5, message="lieu with créneaux")
    lieu.click()
    page.get_by_role("button", name="mardi 2 mars 2027 à 09 h 30").click()
    form = page.locator("#contact-form")
    form.get_by_role("button", name="Confirmer le rendez-vous").click()

    # Every empty field at once, before asking the server.
    box = form.locator(".error-box")
    expect(box).to_contain_text("3 champs sont à corriger :")
    expect(box.locator("li")).to_have_text(["Prénom : Indiquez le prénom.", "Nom : Indiquez le nom.",
                                            "Téléphone portable : Indiquez un numéro de téléphone valide, "
                                            "par exemple 06 12 34 56 78."])
    expect(form.get_by_label("Prénom")).to_have_accessible_description("Indiquez le prénom.")
    expect(form.get_by_label("Nom", exact=True)).to_have_accessible_description("Indiquez le nom.")
    expect(form.get_by_label("Prénom")).to_be_focused()

    # A wrong number: the server's refusal, in plain French, under the field.
    form.get_by_label("Prénom").fill("Hugo")
    form.get_by_label("Nom", exact=True).fill("Moreau")
    phone = form.get_by_label("Téléphone portable")
    phone.fill("12")
    form.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_accessible_description(
        "Indiquez un numéro de téléphone valide, par exemple 06 12 34 56 78.")
    expect(form.get_by_label("Prénom")).not_to_have_attribute("aria-invalid", "true")
    texts = [box.inner_text(), *form.locator(".field-error").all_inner_texts()]
    assert not [t for t in texts if TECHNICAL.search(t)], texts
