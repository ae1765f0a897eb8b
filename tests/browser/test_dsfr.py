"""Every page, agent and public, at a desktop and a phone width: the DSFR header and footer, no horizontal
scroll at 390 px, and axe-core (npm, pinned) finds no critical nor serious violation. The accessibility
statement reports these figures. Screenshots of every page at both widths go to test-artifacts/screenshots/.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from gateway.web.pages import ADMIN_SECTIONS, NAV
from tests.browser.conftest import ARTIFACTS, api_ok, book, create_plage, login, open_page
from tests.support.system import wait_until

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ARTIFACTS / "screenshots"
WIDTHS = {"ordinateur": (1366, 900), "telephone": (390, 844)}
FOOTER_LINKS = ("Accessibilité : non conforme", "Mentions légales", "Données personnelles")

# Every page of the navigation and every section of the administration (a new one is checked at once).
AGENT_PAGES = {key: href for key, href, _ in NAV} | {f"admin-{key}": f"/admin/{key}" for key in ADMIN_SECTIONS}
INFO_PAGES = {"accessibilite": "/accessibilite", "mentions-legales": "/mentions-legales",
              "donnees-personnelles": "/donnees-personnelles"}


def axe_violations(page) -> list[dict]:
    """Run axe-core in the page (evaluated through the driver: the page's CSP allows no inline script)."""
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
    }""")


class Checker:
    """Checks one state of a page at the current width and records axe's findings."""

    def __init__(self, page, width_name: str):
        self.page, self.width_name = page, width_name
        self.checked: list[str] = []
        self.severe: list[str] = []

    def __call__(self, name: str, *, dialog=None) -> None:
        page = self.page
        page.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        if dialog is not None:  # a DSFR modal fades in: checked once fully shown, its focus inside it
            expect(dialog).to_have_css("opacity", "1")
            expect(dialog).to_have_attribute("aria-modal", "true")
            assert dialog.evaluate("d => d.contains(document.activeElement)"), f"{name}: the focus is outside the dialog"
        # The DSFR's header (Marianne block) and footer with its mandatory links, on every page.
        expect(page.locator("header.fr-header .fr-logo")).to_have_text(re.compile(r"République\s*Française"))
        footer = page.locator("footer.fr-footer")
        for label in FOOTER_LINKS:
            expect(footer.get_by_role("link", name=label)).to_have_count(1)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} ({self.width_name}) scrolls horizontally by {overflow} px"
        for v in axe_violations(page):
            if v["impact"] in ("critical", "serious"):
                self.severe.append(f"{name} ({self.width_name}): {v['impact']} {v['id']} — {v['help']} {v['nodes']}")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{self.width_name}.png"), full_page=True)
        self.checked.append(name)


@pytest.fixture
def world(setup):
    """A plage, an RDV with its usager, an organisation that publishes online."""
    create_plage(setup)
    usager, rdv = book(setup, "2027-03-01T10:00:00+01:00", first_name="Jeanne", last_name="Martin")
    with setup.org.admin() as admin:
        org = api_ok(admin.patch("/api/v1/organisation", json={"publish_online": True}))
    return {"usager": usager, "rdv": rdv, "org": org}


def expect_step(page, title: str, n: int, total: int, following: str | None) -> None:
    """The DSFR stepper of a journey shows step n: its title, « Étape n sur N », the bar, the next step."""
    stepper = page.locator(".fr-stepper")
    expect(stepper.locator(".fr-stepper__title")).to_have_text(re.compile(rf"^\s*{re.escape(title)}\s+Étape {n} sur {total}\s*$"))
    expect(stepper.locator(".fr-stepper__steps")).to_have_attribute("data-fr-current-step", str(n))
    expect(stepper.locator(".fr-stepper__steps")).to_have_attribute("data-fr-steps", str(total))
    details = stepper.locator(".fr-stepper__details")
    if following:
        expect(details).to_have_text(f"Étape suivante : {following}")
    else:
        expect(details).to_be_hidden()


def visit_everything(page, setup, world, check: Checker) -> None:
    # Signed out: login, the information pages, a mistyped address, the public booking journey.
    open_page(page, "/login")
    check("connexion")
    for name, path in INFO_PAGES.items():
        open_page(page, path)
        check(name)
    response = page.goto("/une-adresse-qui-n-existe-pas")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page non trouvée", level=1)).to_be_visible()
    check("introuvable")
    page.goto("/dev/messages")  # the dev inbox (dev and test only), a page like the others
    expect(page.get_by_role("heading", name="Messages envoyés (boîte de développement)")).to_be_visible()
    check("boite-de-developpement")

    open_page(page, f"/prendre-rdv/{world['org']['slug']}")
    expect_step(page, "Motif", 1, 5, "Lieu")
    check("public-motif")
    page.get_by_role("button", name=setup.motif["name"]).click()
    lieu = page.get_by_role("button", name=setup.lieu["name"])
    wait_until(lambda: lieu.count() > 0 or (page.get_by_role("button", name="← Changer de motif").click(),
                                            page.get_by_role("button", name=setup.motif["name"]).click()),
               timeout=15, interval=0.5, message="lieu with créneaux")
    check("public-lieu")
    lieu.click()
    expect(page.locator("#creneaux .slot").first).to_be_visible()
    check("public-creneaux")
    page.locator("#creneaux .slot").first.click()
    expect(page.get_by_role("heading", name="Vos coordonnées")).to_be_visible()
    expect(page.locator("#data-notice").get_by_role("link", name=re.compile("vos données"))).to_be_visible()
    expect_step(page, "Coordonnées", 4, 5, "Confirmation")
    check("public-coordonnees")
    page.get_by_label("Prénom").fill("Hugo")
    page.get_by_label("Nom", exact=True).fill("Moreau")
    page.get_by_label("Téléphone portable").fill("06 98 76 54 32")
    page.get_by_role("button", name="Confirmer le rendez-vous").click()
    expect(page.get_by_role("heading", name="Votre rendez-vous est confirmé")).to_be_visible()
    expect_step(page, "Confirmation", 5, 5, None)
    check("public-confirmation")

    # Signed in as the organisation's admin: every page of the agents' UI.
    login(page, setup.org.admin_email, "Admin-Pass-2027!")
    open_page(page, f"/?agent_id={setup.agent['id']}&date=2027-03-01")
    expect(page.locator(".fc-event.rdv").first).to_be_visible()
    check("agenda")
    # The dialogs (the DSFR's modal) open, each kind once: the RDV's details, a form, a confirmation that
    # asks a choice (opened from the RDV's dialog, which comes back after it), the new RDV's form.
    page.locator(".fc-event.rdv", has_text="Jeanne Martin").click()
    dialog = page.get_by_role("dialog", name="Rendez-vous", exact=True)
    expect(dialog).to_contain_text("Jeanne Martin")
    check("agenda-rdv", dialog=dialog)
    dialog.get_by_role("button", name="Modifier", exact=True).click()
    edit = page.get_by_role("dialog", name="Modifier le rendez-vous")
    check("agenda-rdv-modifier", dialog=edit)
    edit.get_by_role("button", name="Fermer sans enregistrer").click()
    expect(edit).to_be_hidden()
    dialog.get_by_role("button", name="Annuler le RDV").click()
    cancel = page.get_by_role("dialog", name="Annuler le rendez-vous")
    check("agenda-rdv-annuler", dialog=cancel)
    cancel.get_by_role("button", name="Ne pas annuler").click()
    expect(cancel).to_be_hidden()
    dialog.get_by_role("button", name="Fermer").click()
    expect(dialog).to_be_hidden()
    page.get_by_role("button", name="Nouveau RDV à une heure choisie").click()
    create = page.get_by_role("dialog", name="Nouveau rendez-vous")
    check("agenda-nouveau-rdv", dialog=create)
    create.get_by_role("button", name="Fermer sans créer").click()
    expect(create).to_be_hidden()
    for name, path in AGENT_PAGES.items():
        if name == "agenda":
            continue
        open_page(page, path)
        expect(page.locator("#flash .notice.error")).to_have_count(0)
        check(name)
        if name == "trouver":
            page.get_by_label("Motif").select_option(setup.motif["id"])
            page.get_by_role("button", name="Rechercher des créneaux").click()
            expect(page.locator("#slots .slot").first).to_be_visible()
            expect_step(page, "Créneau", 1, 3, "Usager")
            check("trouver-creneaux")
            page.locator("#slots .slot").first.click()
            page.get_by_label("Rechercher un usager").fill("Martin")
            expect(page.locator("#usager-results")).to_contain_text("Jeanne Martin")
            expect_step(page, "Usager", 2, 3, "Confirmation")
            check("trouver-usager")
        if name == "plages":
            page.get_by_role("button", name="Enregistrer la plage").click()
            expect(page.locator("#plage-form .field-error").first).to_be_visible()
            check("plages-erreurs")
    open_page(page, f"/usagers/{world['usager']['id']}")
    expect(page.get_by_role("heading", name=re.compile("Jeanne Martin"))).to_be_visible()
    check("fiche-usager")
    for name, path in INFO_PAGES.items():  # with the agent's menu
        open_page(page, path)
        check(f"{name}-agent")


@pytest.mark.parametrize("width_name", list(WIDTHS))
def test_every_page_is_dsfr_accessible_and_fits(browser, system, setup, world, width_name):
    width, height = WIDTHS[width_name]
    context = browser.new_context(base_url=system.base_url, locale="fr-FR", timezone_id="Europe/Paris",
                                  viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"exception: {exc}"))
    check = Checker(page, width_name)
    try:
        visit_everything(page, setup, world, check)
    finally:
        context.close()
    assert not errors, errors
    assert not check.severe, "axe-core, critical or serious violations:\n" + "\n".join(check.severe)

    # The accessibility statement reports these figures.
    from gateway.web.pages import AXE_FIGURES
    assert AXE_FIGURES["pages"] == len(check.checked), check.checked
    assert AXE_FIGURES["runs"] == 2 * len(check.checked)
    assert (AXE_FIGURES["critical"], AXE_FIGURES["serious"]) == (0, 0)
    assert AXE_FIGURES[f"{'desktop' if width_name == 'ordinateur' else 'phone'}_width"] == width
    assert AXE_FIGURES["version"] == page_axe_version()


def page_axe_version() -> str:
    import json
    return json.loads((ROOT / "node_modules" / "axe-core" / "package.json").read_text())["version"]


def test_the_statement_page_shows_the_figures(page, system):
    from gateway.web.pages import AXE_FIGURES
    open_page(page, "/accessibilite")
    expect(page.get_by_role("heading", name="Déclaration d'accessibilité", level=1)).to_be_visible()
    expect(page.get_by_text("non conforme", exact=True)).to_be_visible()
    figures = page.locator("#axe-figures")
    for key in ("pages", "runs", "critical", "serious"):
        expect(figures.locator(f"[data-figure='{key}']")).to_have_text(str(AXE_FIGURES[key]))
    expect(figures).to_contain_text(f"{AXE_FIGURES['phone_width']} pixels")


def test_on_a_phone_the_navigation_is_in_the_menu(browser, system, setup):
    context = browser.new_context(base_url=system.base_url, locale="fr-FR", timezone_id="Europe/Paris",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        login(page, setup.agent_email, setup.agent_password)
        nav = page.get_by_role("navigation", name="Navigation principale")
        expect(nav.get_by_role("link", name="Liste des RDV")).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        expect(nav.get_by_role("link", name="Liste des RDV")).to_be_visible()
        # The agenda shows one day on a phone, its view buttons inside the screen.
        page.get_by_role("button", name="Fermer").click()
        expect(page.locator(".fc-timeGridDay-view, .fc-listWeek-view")).to_have_count(1)
        for button in page.locator(".fc-header-toolbar button").all():
            box = button.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, button.inner_text()
        page.get_by_role("button", name="Menu").click()
        page.locator("#menu-principal").get_by_role("button", name="Se déconnecter").click()
        expect(page).to_have_url(re.compile(r"/login"))
    finally:
        context.close()


def test_a_mistyped_address_is_a_page_for_a_browser_and_json_for_a_client(page, system):
    import httpx
    response = page.goto("/agendaa")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page non trouvée", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Page d'accueil")).to_have_attribute("href", "/")
    api = httpx.get(f"{system.base_url}/api/v1/nope", headers={"Accept": "text/html"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    other = httpx.get(f"{system.base_url}/agendaa", headers={"Accept": "application/json"})
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"


def test_axe_reports_a_violation_when_there_is_one(page, system):
    """The check above can fail: a nameless button on the login page is a critical violation."""
    open_page(page, "/login")
    assert not [v for v in axe_violations(page) if v["impact"] in ("critical", "serious")]
    page.evaluate("() => document.querySelector('main').append(document.createElement('button'))")
    found = {(v["id"], v["impact"]) for v in axe_violations(page)}
    assert ("button-name", "critical") in found, found


def test_the_dsfr_comes_from_node_modules_and_nothing_else_does(system):
    import httpx
    base = system.base_url
    for path, kind in (("/vendor/dsfr/dsfr.min.css", "text/css"),
                       ("/vendor/dsfr/dsfr.module.min.js", "text/javascript"),
                       ("/vendor/dsfr/fonts/Marianne-Regular.woff2", "font/woff2"),
                       ("/vendor/dsfr/icons/system/close-line.svg", "image/svg+xml"),
                       ("/favicon.ico", "image/x-icon")):
        resp = httpx.get(base + path)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith(kind), path
    for path in ("/vendor/dsfr/dsfr.module.js.map", "/vendor/dsfr/package.json",
                 "/vendor/dsfr/fonts/%2e%2e/%2e%2e/package.json", "/vendor/dsfr/icons/..%2f..%2f..%2fpackage.json"):
        assert httpx.get(base + path).status_code == 404, path


def test_the_dialogs_are_the_dsfrs_modal_with_its_keyboard(page, setup):
    """The RDV's dialog is a DSFR modal opened by its button (aria-controls, data-fr-opened): the focus stays
    inside on Tab, Escape closes it and the focus goes back to the button. A dialog opened from it takes its
    place and gives it back, with the focus on the button that opened it."""
    create_plage(setup)
    book(setup, "2027-03-02T10:00:00+01:00", first_name="Paul", last_name="Bernard")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/rdvs")
    opener = page.get_by_role("button", name="Détails du RDV du mardi 2 mars 2027 à 10 h 00")
    opener.click()
    dialog = page.get_by_role("dialog", name="Rendez-vous", exact=True)
    expect(dialog).to_have_class(re.compile(r"\bfr-modal\b.*\bfr-modal--opened\b"))
    expect(dialog).to_have_css("opacity", "1")
    modal_id = dialog.get_attribute("id")
    expect(opener).to_have_attribute("aria-controls", modal_id)
    expect(opener).to_have_attribute("data-fr-opened", "true")
    expect(dialog.locator(".fr-modal__title")).to_have_text("Rendez-vous")
    close = dialog.locator(".fr-modal__header .fr-btn--close")
    expect(close).to_have_attribute("aria-controls", modal_id)
    inside = "d => d.contains(document.activeElement)"
    for _ in range(12):  # more stops than the dialog has: Tab goes round inside it
        page.keyboard.press("Tab")
        assert dialog.evaluate(inside), "Tab left the dialog"
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        assert dialog.evaluate(inside), "Shift+Tab left the dialog"

    # A confirmation from the dialog: shown in its place, then the dialog is back, focus on its button.
    cancel_button = dialog.get_by_role("button", name="Annuler le RDV")
    cancel_button.click()
    cancel = page.get_by_role("dialog", name="Annuler le rendez-vous")
    expect(cancel).to_have_css("opacity", "1")
    expect(dialog).to_be_hidden()
    expect(cancel.locator(".fr-modal__footer .fr-btns-group").get_by_role("button")).to_have_text(
        ["Confirmer l'annulation", "Ne pas annuler"])
    expect(cancel.get_by_role("button", name="Ne pas annuler")).to_be_focused()
    page.keyboard.press("Escape")
    expect(cancel).to_have_count(0)
    expect(dialog).to_be_visible()
    expect(cancel_button).to_be_focused()

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
    expect(opener).not_to_have_attribute("aria-controls", re.compile("."))
    # Opened again from the same button, then closed by its header's button.
    opener.click()
    expect(dialog).to_have_css("opacity", "1")
    dialog.locator(".fr-modal__header").get_by_role("button", name="Fermer").click()
    expect(dialog).to_have_count(0)
    expect(opener).to_be_focused()
