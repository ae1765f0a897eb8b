"""What the agent typed: names folded to words, phones and emails recognised."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.usagers.domain.search import fold, name_tokens, parse_query, prefix_upper_bound


def test_accents_case_and_ligatures_are_folded():
    assert fold("Élodie LEFÈVRE-Œuf") == "elodie lefevre-oeuf"
    assert fold("Maëlle Çağlar Øster") == "maelle caglar oster"


def test_hyphens_apostrophes_and_spaces_separate_words():
    assert name_tokens("Jean-Pierre N'Diaye") == ("jean", "pierre", "n", "diaye")
    assert name_tokens("  élo   MAR ") == ("elo", "mar")
    assert name_tokens("--") == ()


def test_a_name_query_asks_every_word_as_a_prefix():
    query = parse_query("Élo mart")
    assert query.kind == "name"
    assert query.prefix_tsquery == "'elo':* & 'mart':*"
    assert query.exact_tsqueries == ["'elo'", "'mart'"]


def test_phones_and_emails_are_recognised():
    assert parse_query("06 12 34 56 78").kind == "phone"
    assert parse_query("06 12 34 56 78").prefix == "0612345678"
    assert parse_query("+33 6 12").prefix == "0612"
    email = parse_query(" Elodie.Martin@Gmail")
    assert (email.kind, email.prefix) == ("email", "elodie.martin@gmail")
    assert parse_query("").kind == "all"
    assert parse_query(None).kind == "all"
    assert parse_query("'").kind == "all"


@given(st.text(max_size=40))
def test_any_text_gives_a_safe_query(text):
    query = parse_query(text)
    for token in query.tokens:
        assert token and token.isalnum() and "'" not in token  # nothing to break the tsquery
    assert len(query.tokens) <= 6


@given(st.text(alphabet="0123456789abcdef@.", min_size=1, max_size=12))
def test_prefix_upper_bound_is_above_every_completion(prefix):
    hi = prefix_upper_bound(prefix)
    assert prefix < hi
    for suffix in ("", "0", "zzz", "\uffff"):
        assert prefix + suffix < hi
