"""Logging in and out of the agents' UI."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login


def test_a_page_without_session_goes_to_login_then_back(page, setup):
    page.goto("/plages")
    expect(page).to_have_url(re.compile(r"/login\?next=(%2F|/)plages"))
    page.get_by_label("Adresse e-mail").fill(setup.agent_email)
    page.get_by_label("Mot de passe").fill("mauvais-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Mot de passe").fill(setup.agent_password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/plages$"))
    expect(page.get_by_role("heading", name="Plages d'ouverture", level=1)).to_be_visible()
    expect(page.locator("#user-name")).to_contain_text("Camille")


def test_logout_ends_the_session(page, setup):
    login(page, setup.agent_email, setup.agent_password)
    expect(page.get_by_role("link", name="Administration")).to_be_hidden()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/login(\?.*)?$"))
    expect(page.get_by_role("heading", name="Connexion à votre espace agent")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
