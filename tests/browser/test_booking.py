"""Trouver un RDV: find a slot, create the usager inline, book; see it in the agenda and set its status."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import book, create_plage, login, open_page
from tests.support.system import wait_until


def test_find_a_slot_create_an_usager_book_and_follow_it_in_the_agenda(page, setup):
    create_plage(setup)
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/trouver-un-rdv")
    page.get_by_label("Motif").select_option(setup.motif["id"])
    page.get_by_role("button", name="Rechercher des créneaux").click()
    # Availability learns the plage through events: search again until the first slot shows.
    slot = page.get_by_role("button", name=re.compile(r"lundi 1 mars 2027 à 09 h 00 avec Camille"))
    wait_until(lambda: slot.count() > 0 or page.get_by_role("button", name="Rechercher des créneaux").click(),
               timeout=15, interval=0.5, message="first slot")
    expect(page.get_by_role("heading", name="lundi 1 mars 2027")).to_be_visible()
    slot.click()

    expect(page.locator("#chosen-slot")).to_contain_text("lundi 1 mars 2027 à 09 h 00")
    page.get_by_label("Rechercher un usager").fill("Zoé Lefèvre")
    expect(page.get_by_text("Aucun usager trouvé")).to_be_visible()
    page.get_by_role("button", name="Créer un usager").click()
    new = page.locator("#new-usager-form")
    expect(new.get_by_label("Prénom")).to_have_value("Zoé")
    expect(new.get_by_label("Nom", exact=True)).to_have_value("Lefèvre")
    new.get_by_label("Téléphone").fill("06 11 22 33 44")
    new.get_by_role("button", name="Créer l'usager").click()

    details = page.locator("#confirm-details")
    expect(details).to_contain_text("Zoé Lefèvre")
    expect(details).to_contain_text("lundi 1 mars 2027 à 09 h 00 – 09 h 30")
    page.get_by_role("button", name="Confirmer le RDV").click()
    expect(page.get_by_role("heading", name="Rendez-vous enregistré")).to_be_visible()

    page.get_by_role("link", name="Voir dans l'agenda").click()
    event = page.locator(".fc-event.rdv", has_text="Zoé Lefèvre")
    expect(event).to_be_visible()
    expect(event).to_have_class(re.compile("rdv-a_renseigner"))  # its day has come (RDV_NOW: Monday 08:00)
    event.click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(setup.motif["name"])
    expect(dialog).to_contain_text("À renseigner")
    dialog.get_by_role("button", name="Honoré").click()
    expect(dialog.locator(".badge")).to_have_text("Honoré")
    dialog.get_by_role("button", name="Fermer").click()
    expect(page.locator(".fc-event.rdv", has_text="Zoé Lefèvre")).to_have_class(re.compile("rdv-seen"))

    with setup.org.admin() as admin:
        rdvs = admin.get("/api/v1/rdvs", params={"agent_id": setup.agent["id"]}).json()["items"]
    assert [(r["starts_at"], r["status"]) for r in rdvs] == [("2027-03-01T09:00:00+01:00", "seen")]


def test_the_agenda_shows_an_rdv_booked_elsewhere_without_reloading(page, setup):
    create_plage(setup)
    login(page, setup.agent_email, setup.agent_password)
    expect(page.locator("#live-status")).to_have_text("Mise à jour automatique active.")
    expect(page.locator(".fc-event.rdv")).to_have_count(0)
    book(setup, "2027-03-02T10:00:00+01:00", first_name="Paul", last_name="Bernard")
    event = page.locator(".fc-event.rdv", has_text="Paul Bernard")
    expect(event).to_be_visible()
    # Keyboard: the event takes the focus, Enter opens its details, Escape closes them.
    event.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("mardi 2 mars 2027 à 10 h 00")
    expect(dialog.get_by_role("button", name="Honoré")).to_have_count(0)  # not before the RDV's day
    expect(dialog.get_by_role("button", name="Annuler le RDV")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_the_agenda_of_a_colleague_shows_plages_and_holidays(page, setup):
    create_plage(setup, first_day="2027-03-29", on=("monday", "tuesday"))
    login(page, setup.org.admin_email, "Admin-Pass-2027!")
    open_page(page, f"/?agent_id={setup.agent['id']}&date=2027-03-29")
    expect(page.get_by_label("Agenda de")).to_have_value(setup.agent["id"])
    expect(page.locator(".fc-event.holiday")).to_contain_text("Férié : Lundi de Pâques")
    expect(page.locator(".fc-bg-event.plage")).to_have_count(2)
    expect(page.get_by_role("heading", name=re.compile("29 mars"))).to_be_visible()


def test_next_availability_and_widening_the_search(page, setup):
    create_plage(setup, first_day="2027-03-15", on=("monday",))
    with setup.org.admin() as admin:
        other_service = admin.post("/api/v1/services", json={"name": "RSA", "short_name": "RSA"}).json()
    colleague, _ = setup.org.new_agent(service_ids=[other_service["id"]])
    login(page, colleague["email"], "Agent-Pass-2027!")
    open_page(page, "/trouver-un-rdv")
    page.get_by_label("Motif").select_option(setup.motif["id"])
    page.get_by_label("Élargir la recherche").check()
    page.get_by_role("button", name="Rechercher des créneaux").click()
    next_button = page.get_by_role("button", name="Voir les créneaux à partir de ce jour")
    wait_until(lambda: next_button.count() > 0 or page.get_by_role("button", name="Rechercher des créneaux").click(),
               timeout=15, interval=0.5, message="next availability")
    expect(page.locator("#slots")).to_contain_text("Prochaine disponibilité : lundi 15 mars 2027 à 09 h 00")
    next_button.click()
    expect(page.get_by_role("heading", name="lundi 15 mars 2027")).to_be_visible()
    expect(page.locator(".slot").first).to_contain_text("09 h 00")

    # Why is 08:00 not free? The plage opens at 09:00.
    page.get_by_text("Pourquoi un horaire n'est-il pas libre ?").click()
    explain = page.locator("#explain-form")
    explain.get_by_label("Agent").select_option(setup.agent["id"])
    explain.get_by_label("Jour").fill("2027-03-15")
    explain.get_by_label("Heure").fill("08:00")
    explain.get_by_role("button", name="Expliquer").click()
    expect(page.locator("#explain-result")).to_contain_text("Cet horaire n'est pas libre.")
    explain.get_by_label("Heure").fill("09:00")
    explain.get_by_role("button", name="Expliquer").click()
    expect(page.locator("#explain-result")).to_contain_text("Cet horaire est libre.")

    # Without « Élargir la recherche », only agents of the colleague's services count: none here.
    page.get_by_label("Élargir la recherche").uncheck()
    page.get_by_role("button", name="Rechercher des créneaux").click()
    expect(page.locator("#slots")).to_contain_text("Aucun créneau disponible")
    expect(page.locator("#slots")).to_contain_text("Aucune disponibilité dans les six mois suivants.")
