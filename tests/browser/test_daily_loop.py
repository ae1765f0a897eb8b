"""The agent's daily loop in the agenda (issue 17): move an RDV by drag and by form, cancel it with a reason,
see the notifications sent, and what a future RDV offers. Every journey checks its result through the API."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import api_ok, book, create_plage, login
from tests.support.system import wait_until


def rdv_of(setup, rdv_id: str) -> dict:
    with setup.org.admin() as admin:
        return api_ok(admin.get(f"/api/v1/rdvs/{rdv_id}"))


def center_on(page, time: str) -> None:
    """Scroll the grid's `time` line to the middle of the window (FullCalendar scrolls the page when a drag
    comes near an edge, which would shift the drop)."""
    page.locator(f"td.fc-timegrid-slot-lane[data-time='{time}:00']").evaluate("e => e.scrollIntoView({block: 'center'})")


def slot_point(page, day: str, time: str, *, dy: float = 12) -> tuple[float, float]:
    """The window point of a wall time in the week's grid (the day's column, the time's slot line)."""
    col = page.locator(f".fc-timegrid-col[data-date='{day}']").bounding_box()
    lane = page.locator(f"td.fc-timegrid-slot-lane[data-time='{time}:00']").bounding_box()
    return col["x"] + col["width"] / 2, lane["y"] + dy


def drag(page, frm: tuple[float, float], to: tuple[float, float]) -> None:
    """Drag with the mouse in steps (FullCalendar's pointer events), from one grid point to another."""
    page.mouse.move(*frm)
    page.mouse.down()
    page.mouse.move(frm[0] + 8, frm[1], steps=4)
    page.mouse.move(*to, steps=12)
    page.mouse.up()


def test_move_an_rdv_by_dragging_it_in_the_agenda(page, setup):
    create_plage(setup)  # Monday to Friday 09:00-12:00
    usager, rdv = book(setup, "2027-03-02T10:00:00+01:00", first_name="Paul", last_name="Bernard")
    login(page, setup.agent_email, setup.agent_password)
    event = page.locator(".fc-event.rdv", has_text="Paul Bernard")
    expect(event).to_be_visible()

    # Declined: the event goes back, the RDV is unchanged.
    center_on(page, "10:00")
    drag(page, slot_point(page, "2027-03-02", "10:00"), slot_point(page, "2027-03-03", "10:30"))
    confirm = page.get_by_role("dialog", name="Déplacer le rendez-vous ?")
    expect(confirm).to_contain_text("Ancien horaire : mardi 2 mars 2027 à 10 h 00")
    expect(confirm).to_contain_text("Nouvel horaire : mercredi 3 mars 2027 à 10 h 30")
    expect(confirm).to_contain_text("L'usager sera prévenu du nouvel horaire : Paul Bernard par SMS.")
    confirm.get_by_role("button", name="Ne rien changer").click()
    expect(confirm).to_be_hidden()
    expect(page.locator(".fc-timegrid-col[data-date='2027-03-02'] .fc-event.rdv", has_text="Paul Bernard")).to_be_visible()
    assert rdv_of(setup, rdv["id"])["starts_at"] == "2027-03-02T10:00:00+01:00"

    # Accepted: moved on the server, and the agenda shows it on Wednesday.
    drag(page, slot_point(page, "2027-03-02", "10:00"), slot_point(page, "2027-03-03", "10:30"))
    confirm = page.get_by_role("dialog", name="Déplacer le rendez-vous ?")
    confirm.get_by_role("button", name="Déplacer le RDV").click()
    expect(page.locator("#flash")).to_contain_text("Rendez-vous déplacé au mercredi 3 mars 2027 à 10 h 30.")
    moved = page.locator(".fc-timegrid-col[data-date='2027-03-03'] .fc-event.rdv", has_text="Paul Bernard")
    expect(moved).to_be_visible()
    expect(moved).to_contain_text("10:30")
    got = rdv_of(setup, rdv["id"])
    assert (got["starts_at"], got["ends_at"], got["status"]) == (
        "2027-03-03T10:30:00+01:00", "2027-03-03T11:00:00+01:00", "unknown")

    # Stretched by 15 minutes: a new duration, the usager is not told.
    center_on(page, "10:30")
    moved.hover()
    handle = moved.locator(".fc-event-resizer-end")
    box = handle.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    lane = page.locator("td.fc-timegrid-slot-lane[data-time='11:15:00']").bounding_box()  # one 15-minute slot
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2 + lane["height"], steps=10)
    page.mouse.up()
    confirm = page.get_by_role("dialog", name="Modifier le rendez-vous ?")
    expect(confirm).to_contain_text("Durée : 30 min → 45 min")
    expect(confirm).to_contain_text("L'usager n'est pas prévenu d'un changement de durée.")
    confirm.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("Durée du rendez-vous du mercredi 3 mars 2027 à 10 h 30 modifiée.")
    assert rdv_of(setup, rdv["id"])["ends_at"] == "2027-03-03T11:15:00+01:00"


def test_a_live_update_during_a_stretch_waits_for_the_change_to_be_answered(page, setup):
    """Another agent's booking refreshes the agenda (server-sent events). Landing while this agent stretches an
    RDV, the refresh would replace the event under the pointer (FullCalendar then fails on it): it waits for the
    gesture and its confirmation, then runs."""
    create_plage(setup)
    book(setup, "2027-03-02T10:00:00+01:00", first_name="Anna", last_name="Petit")
    login(page, setup.agent_email, setup.agent_password)
    event = page.locator(".fc-timegrid-col[data-date='2027-03-02'] .fc-event.rdv", has_text="Anna Petit")
    expect(event).to_be_visible()
    center_on(page, "10:00")
    event.hover()
    box = event.locator(".fc-event-resizer-end").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    lane = page.locator("td.fc-timegrid-slot-lane[data-time='10:45:00']").bounding_box()
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y + lane["height"] / 2, steps=5)  # the stretch has begun

    book(setup, "2027-03-02T11:15:00+01:00", first_name="Léo", last_name="Garnier")  # another agent's booking
    page.wait_for_timeout(2500)  # its live update and the refresh's 300 ms debounce are past
    expect(page.locator(".fc-event.rdv", has_text="Léo Garnier")).to_have_count(0)  # the refresh waits

    page.mouse.move(x, y + lane["height"], steps=5)
    page.mouse.up()
    confirm = page.get_by_role("dialog", name="Modifier le rendez-vous ?")
    expect(confirm).to_contain_text("Durée : 30 min → 45 min")
    page.wait_for_timeout(1000)  # a refresh run at the release would have landed by now
    expect(page.locator(".fc-event.rdv", has_text="Léo Garnier")).to_have_count(0)  # still, while it is asked
    confirm.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#flash")).to_contain_text("Durée du rendez-vous du mardi 2 mars 2027 à 10 h 00 modifiée.")
    expect(page.locator(".fc-event.rdv", has_text="Léo Garnier")).to_be_visible()  # the refresh ran after


def test_a_click_or_a_declined_move_does_not_hold_live_updates(page, setup):
    """Presses hold live updates only while they last: after a click (no gesture) and after a move declined in
    its confirmation, another agent's booking shows up."""
    create_plage(setup)
    book(setup, "2027-03-02T10:00:00+01:00", first_name="Anna", last_name="Petit")
    login(page, setup.agent_email, setup.agent_password)
    event = page.locator(".fc-timegrid-col[data-date='2027-03-02'] .fc-event.rdv", has_text="Anna Petit")
    expect(event).to_be_visible()

    event.click()  # a press without a gesture: the RDV's details
    dialog = page.get_by_role("dialog", name="Rendez-vous")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    book(setup, "2027-03-02T11:00:00+01:00", first_name="Léo", last_name="Garnier")
    expect(page.locator(".fc-event.rdv", has_text="Léo Garnier")).to_be_visible()

    center_on(page, "10:00")
    drag(page, slot_point(page, "2027-03-02", "10:00"), slot_point(page, "2027-03-03", "10:30"))
    confirm = page.get_by_role("dialog", name="Déplacer le rendez-vous ?")
    confirm.get_by_role("button", name="Ne rien changer").click()
    expect(confirm).to_be_hidden()
    book(setup, "2027-03-04T09:00:00+01:00", first_name="Inès", last_name="Roux")
    expect(page.locator(".fc-event.rdv", has_text="Inès Roux")).to_be_visible()


def test_a_future_rdv_offers_no_outcome_and_is_cancelled_at_the_usagers_request(page, setup):
    create_plage(setup)
    usager, rdv = book(setup, "2027-03-04T09:30:00+01:00", first_name="Lina", last_name="Moreau")
    login(page, setup.agent_email, setup.agent_password)
    page.locator(".fc-event.rdv", has_text="Lina Moreau").click()
    dialog = page.get_by_role("dialog", name="Rendez-vous")
    expect(dialog).to_contain_text("jeudi 4 mars 2027 à 09 h 30")
    status = dialog.get_by_role("group", name="Changer le statut")
    # Its day has not come: no outcome, only a cancellation (what the server says it accepts).
    expect(status.get_by_role("button")).to_have_text(["Annuler le RDV"])
    assert rdv_of(setup, rdv["id"])["allowed_statuses"] == ["excused", "revoked"]
    expect(dialog.get_by_role("link", name="Fiche de Lina Moreau")).to_have_attribute("href", f"/usagers/{usager['id']}")

    # Cancel: who cancels must be chosen; Escape leaves the RDV as it is.
    status.get_by_role("button", name="Annuler le RDV").click()
    cancel = page.get_by_role("dialog", name="Annuler le rendez-vous")
    expect(cancel).to_contain_text("L'usager sera prévenu de l'annulation : Lina Moreau par SMS.")
    page.keyboard.press("Escape")
    expect(cancel).to_be_hidden()
    assert rdv_of(setup, rdv["id"])["status"] == "unknown"

    status.get_by_role("button", name="Annuler le RDV").click()
    cancel.get_by_role("button", name="Confirmer l'annulation").click()
    expect(cancel.get_by_role("group", name="Qui annule ce rendez-vous ?")).to_have_accessible_description(
        "Choisissez qui annule le rendez-vous.")
    cancel.get_by_label("À la demande de l'usager").check()
    cancel.get_by_role("button", name="Confirmer l'annulation").click()
    expect(cancel).to_be_hidden()
    expect(dialog.locator(".badge")).to_have_text("Annulé (à la demande de l'usager)")
    # A cancelled RDV may only be set back.
    expect(status.get_by_role("button")).to_have_text(["Remettre « À venir »"])
    assert rdv_of(setup, rdv["id"])["status"] == "excused"
    dialog.get_by_role("button", name="Fermer").click()
    expect(page.locator(".fc-event.rdv", has_text="Lina Moreau")).to_have_class(re.compile("rdv-excused"))


def test_the_rdv_dialog_lists_the_notifications_sent(page, setup):
    create_plage(setup)
    usager, rdv = book(setup, "2027-03-05T11:00:00+01:00", first_name="Hugo", last_name="Petit")
    with setup.org.admin() as admin:
        wait_until(lambda: any(n["status"] == "sent" for n in api_ok(admin.get(f"/api/v1/rdvs/{rdv['id']}/notifications"))),
                   timeout=20, interval=0.3, message="confirmation SMS sent")
    login(page, setup.agent_email, setup.agent_password)
    page.locator(".fc-event.rdv", has_text="Hugo Petit").click()
    dialog = page.get_by_role("dialog", name="Rendez-vous")
    table = dialog.get_by_role("region", name="Notifications envoyées").get_by_role("table")
    row = table.get_by_role("row").filter(has_text="SMS")
    expect(row).to_contain_text("Confirmation")
    expect(row).to_contain_text("+33612345678")
    expect(row).to_contain_text("Envoyée")
    expect(row).to_contain_text("lundi 1 mars 2027 à 08 h")


def test_a_walk_in_outside_the_plages_is_created_from_an_empty_time(page, setup):
    create_plage(setup)  # 09:00-12:00: 13:00 is outside every plage
    login(page, setup.agent_email, setup.agent_password)
    center_on(page, "13:00")
    page.mouse.click(*slot_point(page, "2027-03-01", "13:00"))
    dialog = page.get_by_role("dialog", name="Nouveau rendez-vous")
    expect(dialog.get_by_label("Jour")).to_have_value("2027-03-01")
    expect(dialog.get_by_label("Heure")).to_have_value("13:00")
    expect(dialog.get_by_label("Motif")).to_have_value(setup.motif["id"])  # the agent's service's only motif
    expect(dialog.get_by_label("Durée")).to_have_value("30")
    warning = dialog.locator(".outside-warning")
    expect(warning).to_contain_text("Cet horaire n'est pas ouvert à la réservation")
    expect(warning).to_contain_text("en dehors de toute plage d'ouverture")

    # Without an usager, the form says so next to the usager's field.
    dialog.get_by_role("button", name="Créer le RDV quand même").click()
    expect(dialog.get_by_role("group", name="Usager")).to_contain_text("Choisissez ou créez l'usager du rendez-vous.")
    dialog.get_by_label("Rechercher un usager").fill("Lucie Roux")
    expect(dialog.get_by_text("Aucun usager trouvé")).to_be_visible()
    dialog.get_by_role("button", name="Créer un usager").click()
    expect(dialog.get_by_label("Prénom")).to_have_value("Lucie")
    dialog.get_by_role("textbox", name="Téléphone").fill("06 22 33 44 55")
    dialog.get_by_role("button", name="Créer l'usager").click()
    expect(dialog.locator("#create-usager-chosen")).to_contain_text("Lucie Roux")
    expect(dialog).to_contain_text("L'usager sera prévenu de ce rendez-vous : Lucie Roux par SMS.")
    dialog.get_by_role("button", name="Créer le RDV quand même").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#flash")).to_contain_text("Rendez-vous créé le lundi 1 mars 2027 à 13 h 00.")
    expect(page.locator("#flash .notice.warning")).to_contain_text("en dehors des plages d'ouverture de l'agent")
    expect(page.locator(".fc-event.rdv", has_text="Lucie Roux")).to_be_visible()

    with setup.org.admin() as admin:
        rdvs = api_ok(admin.get("/api/v1/rdvs", params={"agent_id": setup.agent["id"]}))["items"]
        assert [(r["starts_at"], r["ends_at"], r["status"], r["lieu_id"]) for r in rdvs] == [
            ("2027-03-01T13:00:00+01:00", "2027-03-01T13:30:00+01:00", "unknown", setup.lieu["id"])]
        usager = api_ok(admin.get(f"/api/v1/usagers/{rdvs[0]['usager_ids'][0]}"))
        assert (usager.get("usager") or usager)["last_name"] == "Roux"


def test_a_past_rdv_is_recorded_then_marked_honore(page, setup):
    create_plage(setup)
    with setup.org.admin() as admin:
        usager = api_ok(admin.post("/api/v1/usagers", json={"first_name": "Jeanne", "last_name": "Martin",
                                                             "phone": "06 12 34 56 78"}))
    login(page, setup.agent_email, setup.agent_password)
    # From the keyboard: « Nouveau RDV à une heure choisie », last Friday at 10:00 (before the plage's first day).
    page.get_by_role("button", name="Nouveau RDV à une heure choisie").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Nouveau rendez-vous")
    dialog.get_by_label("Jour").fill("2027-02-26")
    dialog.get_by_label("Heure").fill("10:00")
    dialog.get_by_label("Heure").dispatch_event("change")
    expect(dialog).to_contain_text("RDV passé (vendredi 26 février 2027) : il sera enregistré « À renseigner » "
                                   "et l'usager ne sera pas prévenu.")
    dialog.get_by_label("Rechercher un usager").fill("Jeanne Mar")
    dialog.get_by_role("button", name=re.compile("Jeanne Martin")).click()
    expect(dialog).to_contain_text("Ce RDV est passé : l'usager ne sera pas prévenu.")
    dialog.get_by_role("button", name="Créer le RDV quand même").click()
    expect(page.locator("#flash")).to_contain_text("Rendez-vous créé le vendredi 26 février 2027 à 10 h 00.")

    with setup.org.admin() as admin:
        rdvs = api_ok(admin.get("/api/v1/rdvs", params={"usager_id": usager["id"]}))["items"]
    assert [(r["starts_at"], r["display_status"]) for r in rdvs] == [("2027-02-26T10:00:00+01:00", "a_renseigner")]

    page.locator(".fc-prev-button").click()
    event = page.locator(".fc-timegrid-col[data-date='2027-02-26'] .fc-event.rdv", has_text="Jeanne Martin")
    expect(event).to_have_class(re.compile("rdv-a_renseigner"))
    event.click()
    rdv_dialog = page.get_by_role("dialog", name="Rendez-vous")
    status = rdv_dialog.get_by_role("group", name="Changer le statut")
    expect(status.get_by_role("button")).to_have_text(["Rendez-vous honoré", "Absence non excusée", "Annuler le RDV"])
    status.get_by_role("button", name="Rendez-vous honoré").click()
    expect(rdv_dialog.locator(".badge")).to_have_text("Honoré")
    expect(status.get_by_role("button")).to_have_text(["Remettre « À renseigner »"])
    expect(rdv_dialog.get_by_role("region", name="Notifications envoyées")).to_contain_text(
        "Aucune notification pour ce rendez-vous.")
    assert rdv_of(setup, rdvs[0]["id"])["status"] == "seen"
