"""Webhooks' pure rules: events made, URLs accepted, signature, retry schedule, pseudonymised payloads."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone

import pytest

from services.notifications.domain.webhooks import (UrlRefused, check_url, next_attempt, pseudonymise, signature,
                                                    webhook_events)


def test_events_made_by_catalogue_events():
    assert webhook_events("booking.rdv.created", {}) == ["rdv.created"]
    assert webhook_events("booking.rdv.updated", {}) == ["rdv.updated"]
    revoked = {"rdv": {"status": "revoked"}, "previous_status": "unknown"}
    assert webhook_events("booking.rdv.status_changed", revoked) == ["rdv.status_changed", "rdv.cancelled"]
    again = {"rdv": {"status": "excused"}, "previous_status": "revoked"}
    assert webhook_events("booking.rdv.status_changed", again) == ["rdv.status_changed"]
    assert webhook_events("usagers.usager.updated", {}) == ["usager.updated"]
    assert webhook_events("usagers.usager.created", {}) == [] == webhook_events("booking.rdv.purged", {})


@pytest.mark.parametrize("url, production, code", [
    ("http://partenaire.example.fr/hook", True, "insecure_webhook_url"),
    ("https://127.0.0.1/hook", True, "private_webhook_url"),
    ("https://10.1.2.3:8443/hook", True, "private_webhook_url"),
    ("https://[::1]/hook", True, "private_webhook_url"),
    ("https://localhost/hook", True, "private_webhook_url"),
    ("https://169.254.169.254/latest", True, "private_webhook_url"),
    ("ftp://example.fr/x", False, "invalid_webhook_url"),
    ("https://user:secret@example.fr/x", False, "invalid_webhook_url"),
    ("https://exa mple.fr/x", False, "invalid_webhook_url"),
    ("https://example.fr:99999/x", False, "invalid_webhook_url"),
])
def test_refused_urls(url, production, code):
    with pytest.raises(UrlRefused) as refused:
        check_url(url, production=production)
    assert refused.value.code == code and str(refused.value)


def test_accepted_urls():
    assert check_url(" https://partenaire.example.fr/rdv?x=1 ", production=True) == "https://partenaire.example.fr/rdv?x=1"
    assert check_url("http://127.0.0.1:8080/hook", production=False) == "http://127.0.0.1:8080/hook"


def test_signature_is_hmac_of_timestamp_dot_body():
    body = '{"a":"é"}'.encode()
    header = signature("whsec_k", 1800000000, body)
    expected = hmac.new(b"whsec_k", b"1800000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"


def test_retries_double_from_the_base_until_the_horizon():
    t0 = datetime(2027, 3, 1, tzinfo=timezone.utc)
    now, delays = t0, []
    for attempts in range(1, 30):
        at = next_attempt(attempts=attempts, created_at=t0, now=now, base=10, horizon=86400)
        if at is None:
            break
        delays.append((at - now).total_seconds())
        now = at
    assert delays[:4] == [10, 20, 40, 80] and now <= t0 + timedelta(hours=24)
    assert len(delays) == 13  # 10 s x (2^13 - 1) = 22.7 h; the next would end beyond 24 h


def test_pseudonymised_envelope_keeps_no_personal_data_and_stable_ids():
    envelope = {"id": "e1", "type": "usagers.usager.updated", "actor": {"kind": "usager", "id": "u1"},
                "data": {"usager": {"id": "u1", "first_name": "Aïcha", "last_name": "Diallo", "email": "a@b.fr",
                                    "phone": "+33612345678", "birth_date": "1990-01-01", "responsible_id": "u2",
                                    "notify_by_sms": True, "address": "3 rue Haute", "organisation_id": "o1"}}}
    out = pseudonymise(envelope, "key-1")
    text = json.dumps(out, ensure_ascii=False)
    for personal in ("Aïcha", "Diallo", "a@b.fr", "+336", "1990", "rue Haute", '"u1"', '"u2"'):
        assert personal not in text
    assert out["data"]["usager"]["id"] == out["actor"]["id"] == pseudonymise(envelope, "key-1")["actor"]["id"]
    assert out["data"]["usager"]["id"] != pseudonymise(envelope, "key-2")["data"]["usager"]["id"]
    assert out["data"]["usager"]["notify_by_sms"] is True and out["data"]["usager"]["organisation_id"] == "o1"
    rdv = {"data": {"rdv": {"id": "r1", "usager_ids": ["u1"], "context": "Mme Diallo",
                            "agent_ids": ["a1"]}, "changes": {"usager_ids": [["u1"], ["u1", "u2"]]}}}
    cleaned = pseudonymise(rdv, "key-1")["data"]
    assert cleaned["rdv"]["usager_ids"] == [out["data"]["usager"]["id"]] and "context" not in cleaned["rdv"]
    assert cleaned["rdv"]["agent_ids"] == ["a1"] and cleaned["changes"]["usager_ids"][1][1].startswith("u-")
