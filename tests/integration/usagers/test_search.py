"""Search as agents type it: accents, case, hyphens, phone formats, emails; best matches first."""
from __future__ import annotations

import pytest


@pytest.fixture
def people(desk):
    made = {}
    for key, body in {
        "elodie": dict(first_name="Élodie", last_name="Lefèvre-Durand", birth_name="Martin",
                       phone="06 12 34 56 78", email="elodie.lefevre@example.fr"),
        "elodie2": dict(first_name="Elodie", last_name="Dupont-Aignan", phone="0690 35 12 34"),
        "jp": dict(first_name="Jean-Pierre", last_name="N'Diaye", email="JP.Ndiaye@Example.org"),
        "chloe": dict(first_name="Chloé", last_name="Dupont"),
        "martin": dict(first_name="Paul", last_name="Martin"),
        "martine": dict(first_name="Martine", last_name="Aubry"),
        "marti": dict(first_name="Lucas", last_name="Martínez"),
    }.items():
        made[key] = desk.create(**body)
    return made


def ids(result):
    return [u["id"] for u in result["items"]]


def test_names_match_whatever_the_accents_case_and_hyphens(desk, people):
    elodies = {people["elodie"]["id"], people["elodie2"]["id"]}
    for q in ("elodie", "Élodie", "ÉLO", "elo", "  eLoDiE "):
        assert set(ids(desk.search(q))) == elodies, q
    for q in ("lefevre", "Lefèvre-Durand", "durand", "dur", "lefevre-d", "martin elodie"):
        assert ids(desk.search(q))[0] == people["elodie"]["id"], q
    assert ids(desk.search("martin elodie")) == [people["elodie"]["id"]]  # via her birth name
    for q in ("pierre", "jean-p", "Jean Pierre", "ndiaye", "n'diaye", "diaye", "N'DIA"):
        assert ids(desk.search(q)) == [people["jp"]["id"]], q
    assert ids(desk.search("elodie dup")) == [people["elodie2"]["id"]]
    assert desk.search("zzz")["total"] == 0


def test_whole_words_rank_before_prefixes(desk, people):
    found = ids(desk.search("martin"))
    # the exact word "Martin" (a last name, and Élodie's birth name) before "Martine" and "Martínez"
    assert set(found[:2]) == {people["martin"]["id"], people["elodie"]["id"]}
    assert set(found[2:]) == {people["martine"]["id"], people["marti"]["id"]}
    assert ids(desk.search("dupont"))[0] in {people["chloe"]["id"], people["elodie2"]["id"]}
    assert desk.search("mart")["total"] == 4


def test_phones_in_any_french_format(desk, people):
    for q in ("06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78", "0033612345678",
              "06-12-34", "0612"):
        assert ids(desk.search(q)) == [people["elodie"]["id"]], q
    for q in ("0690 35 12 34", "+590 690 35 12 34", "0690351"):
        assert ids(desk.search(q)) == [people["elodie2"]["id"]], q
    assert desk.search("0699")["total"] == 0


def test_emails_case_insensitive_full_or_started(desk, people):
    assert ids(desk.search("jp.ndiaye@example.org")) == [people["jp"]["id"]]
    assert ids(desk.search("JP.NDIAYE@exa")) == [people["jp"]["id"]]
    assert ids(desk.search("elodie.lefevre@")) == [people["elodie"]["id"]]
    assert desk.search("nobody@example.org")["total"] == 0


def test_pages_and_totals(desk, people):
    with desk.client() as c:
        page = c.get("/v1/usagers", params={"scope": "organisation", "per_page": 3, "page": 2}).json()
        assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (7, 2, 3, 3)
        last = c.get("/v1/usagers", params={"scope": "organisation", "q": "mart", "per_page": 3, "page": 5}).json()
        assert (last["total"], last["items"]) == (4, [])
        wanted = f"{people['jp']['id']},{people['chloe']['id']}"
        by_ids = c.get("/v1/usagers", params={"scope": "organisation", "ids": wanted}).json()
        assert {u["id"] for u in by_ids["items"]} == {people["jp"]["id"], people["chloe"]["id"]}
    everyone = desk.search()
    assert [u["last_name"] for u in everyone["items"]][:2] == ["Aubry", "Dupont"]  # alphabetical without q


def test_scope_service_is_empty_until_an_rdv_links_the_usager(desk, people):
    assert desk.search("elodie", scope="service")["total"] == 0
    assert desk.search(scope="service", service_ids=[])["total"] == 0


TRICKY = ["Cœur-de-Lion", "Lætitia", "Strauß", "Øster", "Łukasz", "N’Diaye", "D'Almeida", "Le Gall",
          "Çelik", "Ñúñez", "Éléonore-Amélie", "Hélène Saint-Exupéry", "Zoë", "Maël", "Ågren"]


def test_every_word_prefix_of_tricky_names_finds_them(desk):
    from services.usagers.domain.search import fold, name_tokens

    made = {name: desk.create(first_name="Test", last_name=name)["id"] for name in TRICKY}
    for name, usager_id in made.items():
        for word in name_tokens(name):
            for q in {word[:2], word, fold(word).upper()}:
                assert usager_id in [u["id"] for u in desk.search(q)["items"]], (name, q)
        assert desk.search(name)["items"][0]["id"] == usager_id, name  # typed exactly as written
