"""Pure rules of the gateway: password policy, slugs, permissions, tokens, content negotiation."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.entrypoints.proxy.dev import prefers_html
from gateway.domain import slugs
from gateway.domain.model import Agent, is_valid_email, normalise_email
from gateway.domain.passwords import WeakPassword, check_password, missing_rules
from gateway.domain.permissions import candidate_agents, may_write_for
from gateway.domain.tokens import hash_token, is_idle_expired, new_token


@pytest.mark.parametrize("password, missing", [
    ("Admin-Pass-2027!", []),
    ("Court-1!", ["au moins 12 caractères"]),
    ("sans-majuscule-2027!", ["une majuscule"]),
    ("Sans-Chiffre-Ici!", ["un chiffre"]),
    ("SansSymbole2027xx", ["un symbole"]),
    ("", ["au moins 12 caractères", "un chiffre", "une majuscule", "un symbole"]),
])
def test_password_policy(password, missing):
    assert missing_rules(password) == missing


def test_weak_password_is_a_422_with_the_field():
    with pytest.raises(WeakPassword) as err:
        check_password("password")
    assert err.value.status == 422 and err.value.code == "weak_password"
    assert "password" in err.value.details["fields"]


def test_slugs():
    assert slugs.slugify("Mairie de Saint-Étienne") == "mairie-de-saint-etienne"
    assert slugs.slugify("  !!! ") == "organisation"
    gen = slugs.candidates("CCAS d'Œting")
    assert [next(gen) for _ in range(3)] == ["ccas-d-oeting", "ccas-d-oeting-2", "ccas-d-oeting-3"]


@given(st.text(max_size=200))
def test_slugs_are_url_safe(name):
    slug = slugs.slugify(name)
    assert slug and len(slug) <= slugs.MAX_LENGTH
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
    assert not slug.startswith("-") and not slug.endswith("-") and slug == slug.lower()


def test_emails():
    assert normalise_email("  Ada@Demo.RDV ") == "ada@demo.rdv"
    assert is_valid_email("ada@demo.rdv") and not is_valid_email("ada@demo") and not is_valid_email("a b@c.d")


def _agent(role="basic", services=()):
    return Agent(id=uuid.uuid4(), organisation_id=uuid.uuid4(), email="a@b.c", first_name="A", last_name="B",
                 role=role, service_ids=tuple(services))


def test_candidate_agents_follow_the_contract():
    pmi, rsa = uuid.uuid4(), uuid.uuid4()
    me = _agent(services=[pmi])
    colleague, stranger, lonely = _agent(services=[pmi, rsa]), _agent(services=[rsa]), _agent()
    everyone = [me, colleague, stranger, lonely]
    assert set(candidate_agents(caller=me, colleagues=everyone, elargir=False)) == {me.id, colleague.id}
    assert set(candidate_agents(caller=me, colleagues=everyone, elargir=True)) == {a.id for a in everyone}
    admin = _agent(role="admin")
    assert set(candidate_agents(caller=admin, colleagues=everyone, elargir=False)) == {a.id for a in everyone} | {admin.id}
    no_service = _agent()
    assert candidate_agents(caller=no_service, colleagues=everyone + [no_service], elargir=False) == [no_service.id]


def test_plages_of_others_are_for_admins():
    basic, admin = _agent(), _agent(role="admin")
    assert may_write_for(basic, basic.id) and not may_write_for(basic, uuid.uuid4())
    assert may_write_for(admin, uuid.uuid4())


def test_tokens():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40 and hash_token(a) != a and hash_token(a) == hash_token(a)
    now = datetime(2027, 3, 1, tzinfo=timezone.utc)
    assert not is_idle_expired(now - timedelta(days=13, hours=23), now)
    assert is_idle_expired(now - timedelta(days=14, seconds=1), now)


@pytest.mark.parametrize("accept, html", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("application/json", False),
    ("*/*", False),
    ("", False),
    ("application/json;q=0.5, text/html", True),
    ("text/html;q=0.1, application/json", False),
])
def test_dev_inbox_content_negotiation(accept, html):
    assert prefers_html(accept) is html
