"""Liste des RDV -> « Exporter en XLSX » -> Mon compte: live progress, then download the file."""
from __future__ import annotations

import io

import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import book, create_plage, login, open_page
from tests.support.system import wait_until


def test_export_the_rdv_list_and_download_it(page, setup, system):
    create_plage(setup)
    book(setup, "2027-03-02T10:00:00+01:00", first_name="Louise", last_name="Petit")
    login(page, setup.agent_email, setup.agent_password)
    open_page(page, "/rdvs")
    row = page.locator("#rdv-list tr", has_text="Louise Petit")
    expect(row).to_contain_text("mardi 2 mars 2027 à 10 h 00")
    expect(row.locator(".badge")).to_have_text("À venir")

    # Reporting counts the RDV through events: export once it is there.
    with system.client(system.login(setup.agent_email, setup.agent_password)) as agent:
        wait_until(lambda: agent.get("/api/v1/stats", params={"from": "2027-03-01", "to": "2027-03-31"})
                   .json().get("total") == 1, timeout=20, interval=0.3, message="reporting has the RDV")
    page.get_by_role("button", name="Exporter en XLSX").click()
    expect(page.locator("#flash")).to_contain_text("Export lancé")
    page.locator("#flash").get_by_role("link", name="Mon compte").click()

    link = page.get_by_role("link", name="Télécharger")
    expect(link).to_be_visible(timeout=30_000)  # the list polls until the export is done
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.startswith("export-rdv-") and download.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    rows = [[c for c in r] for r in sheet.iter_rows(values_only=True)]
    assert any("Petit" in " ".join(str(c) for c in r if c) for r in rows[1:]), rows
