"""Trouver un RDV: a week of créneaux fits on a screen (by day, lieu and agent; « voir plus »), by keyboard."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import create_plage, login, open_page
from tests.support.system import wait_until


def test_a_week_of_creneaux_is_grouped_and_reachable_by_keyboard(page, setup):
    create_plage(setup, start="09:00", end="17:00")  # 16 times a day, 80 in the week
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/trouver-un-rdv")
    page.get_by_label("Motif").select_option(setup.motif["id"])
    search = page.get_by_role("button", name="Rechercher des créneaux")
    search.click()
    days = page.locator("#slots section.slots-day")
    wait_until(lambda: days.count() == 5 or search.click(), timeout=15, interval=0.5, message="a week of créneaux")
    expect(page.locator("#slots")).to_contain_text("80 créneaux disponibles")

    monday = days.first
    expect(monday.get_by_role("heading", level=3)).to_have_text("lundi 1 mars 2027 — 16 créneaux")
    expect(monday.get_by_role("heading", level=4)).to_have_text(setup.lieu["name"])
    expect(monday.locator(".slots-agent > p")).to_have_text(f"Camille {setup.agent['last_name']}")
    # Six times a day show, the rest behind « voir plus »: 30 buttons for the week instead of 80.
    expect(page.locator("#slots .slot:visible")).to_have_count(30)
    expect(monday.get_by_role("button", name=re.compile(r"lundi 1 mars 2027 à 09 h 00 avec Camille"))).to_be_visible()
    expect(monday.locator(".slot:visible").last).to_have_text(re.compile("11 h 30"))

    more = monday.get_by_role("button", name="Voir 10 horaires de plus")
    more.focus()
    expect(more).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Enter")
    expect(monday.locator(".slot:visible")).to_have_count(16)
    expect(more).to_have_count(0)
    focused = page.locator(".slot:focus")
    expect(focused).to_have_accessible_name(re.compile(r"^lundi 1 mars 2027 à 12 h 00 avec Camille"))
    page.keyboard.press("Tab")
    expect(page.locator(".slot:focus")).to_have_text(re.compile("12 h 30"))
    page.keyboard.press("Enter")
    expect(page.locator("#chosen-slot")).to_contain_text("lundi 1 mars 2027 à 12 h 30")
