"""« Mon compte »: the calendar subscription link, names hidden, link renewed (the old one then 404)."""
from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import login, open_page


def test_an_agent_subscribes_hides_names_and_renews_the_link(page, setup, system):
    login(page, setup.agent_email, "Agent-Pass-2027!")
    open_page(page, "/mon-compte")
    link = page.get_by_label("Lien d'abonnement")
    expect(link).to_have_value(re.compile(r"^webcal://.+/ics/[A-Za-z0-9_-]{43}\.ics$"))
    first = link.input_value()
    assert page.get_by_role("link", name="S'abonner dans mon calendrier").get_attribute("href") == first
    http_url = "http://" + first.removeprefix("webcal://")
    assert httpx.get(http_url).status_code == 200

    page.get_by_label("Masquer le nom des usagers").check()
    expect(page.locator("#flash")).to_contain_text("n'apparaîtront plus")
    token = system.login(setup.agent_email, "Agent-Pass-2027!")
    with system.client(token) as c:
        assert c.get("/api/v1/me/calendar-feed").json()["hide_usager_names"] is True

    page.get_by_role("button", name="Renouveler le lien").click()
    page.get_by_role("dialog").get_by_role("button", name="Renouveler le lien").click()
    expect(page.locator("#flash")).to_contain_text("l'ancien ne fonctionne plus")
    expect(link).not_to_have_value(first)
    assert httpx.get(http_url).status_code == 404
    assert httpx.get("http://" + link.input_value().removeprefix("webcal://")).status_code == 200
    assert page.js_errors == []
