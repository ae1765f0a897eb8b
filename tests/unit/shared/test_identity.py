"""The signed caller identity: a verified token is remembered, but never past its expiry, under another
secret, or with its signature altered."""
import time
import uuid

import pytest

from shared.errors import Unauthorized
from shared.identity import Identity, sign, verify

SECRET, OTHER = "s" * 40, "o" * 40


def test_a_token_verified_twice_gives_the_same_caller():
    caller = Identity(organisation_id=uuid.uuid4(), agent_id=uuid.uuid4(), role="admin")
    token = sign(caller, secret=SECRET)
    assert verify(token, secret=SECRET).agent_id == caller.agent_id
    assert verify(token, secret=SECRET).agent_id == caller.agent_id


def test_a_remembered_token_is_refused_under_another_secret():
    token = sign(Identity(organisation_id=uuid.uuid4()), secret=SECRET)
    verify(token, secret=SECRET)
    with pytest.raises(Unauthorized):
        verify(token, secret=OTHER)


def test_an_altered_signature_is_refused():
    token = sign(Identity(organisation_id=uuid.uuid4()), secret=SECRET)
    verify(token, secret=SECRET)
    body, mac = token.split(".")
    with pytest.raises(Unauthorized):
        verify(f"{body}.{mac[:-3]}{'A' if mac[-3] != 'A' else 'B'}{mac[-2:]}", secret=SECRET)


def test_a_remembered_token_expires():
    token = sign(Identity(organisation_id=uuid.uuid4()), ttl=0.05, secret=SECRET)
    verify(token, secret=SECRET)
    time.sleep(0.1)
    with pytest.raises(Unauthorized, match="expirée"):
        verify(token, secret=SECRET)
