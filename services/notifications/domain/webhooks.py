"""Webhooks, pure rules: which webhook events an event makes, the payload's pseudonymised variant,
the signature, the URLs accepted, and the retry schedule."""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

EVENTS = ("rdv.created", "rdv.updated", "rdv.cancelled", "rdv.status_changed", "usager.updated")
PING = "ping"
CANCELLED = ("excused", "revoked")
# What the pseudonymised variant leaves out: names, contacts, and the free texts that may hold them.
PERSONAL = frozenset({"first_name", "last_name", "birth_name", "email", "phone", "effective_email",
                      "effective_phone", "address", "birth_date", "context", "recipient", "recipient_masked"})
USAGER_REFS = frozenset({"usager_id", "responsible_id", "usager_ids"})


def webhook_events(event_type: str, data: dict) -> list[str]:
    """The webhook events an event of the catalogue makes (a cancellation is also a status change)."""
    if event_type == "booking.rdv.created":
        return ["rdv.created"]
    if event_type == "booking.rdv.updated":
        return ["rdv.updated"]
    if event_type == "booking.rdv.status_changed":
        status = (data.get("rdv") or {}).get("status")
        if status in CANCELLED and data.get("previous_status") not in CANCELLED:
            return ["rdv.status_changed", "rdv.cancelled"]
        return ["rdv.status_changed"]
    if event_type == "usagers.usager.updated":
        return ["usager.updated"]
    return []


def pseudonym(key: str, usager_id: str) -> str:
    """A stable pseudonym of an usager id within one organisation (HMAC-SHA256 with its key)."""
    return "u-" + hmac.new(key.encode(), str(usager_id).encode(), hashlib.sha256).hexdigest()[:32]


def pseudonymise(envelope: dict, key: str) -> dict:
    """The envelope without personal data: names, contacts and free texts dropped, usager ids replaced."""
    out = dict(envelope)
    out["data"] = _clean(envelope.get("data") or {}, key, usager=False)
    actor = dict(envelope.get("actor") or {})
    if actor.get("kind") == "usager" and actor.get("id"):
        actor["id"] = pseudonym(key, actor["id"])
    out["actor"] = actor
    return out


def _clean(value: Any, key: str, *, usager: bool) -> Any:
    if isinstance(value, list):
        return [_clean(v, key, usager=usager) for v in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for name, item in value.items():
        if name in PERSONAL:
            continue
        if name in USAGER_REFS or (usager and name == "id"):
            result[name] = _ids(item, key)
        else:
            result[name] = _clean(item, key, usager=name == "usager")
    return result


def _ids(value: Any, key: str) -> Any:
    if isinstance(value, list):
        return [_ids(v, key) for v in value]
    return pseudonym(key, value) if value else value


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`X-Rdv-Signature`: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class UrlRefused(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def check_url(url: str, *, production: bool) -> str:
    """The URL as stored, or UrlRefused: https only in production, never credentials nor, in production,
    a loopback, private or link-local address written as such."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UrlRefused("invalid_webhook_url", "Adresse invalide : une URL https://… est attendue.") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or any(c.isspace() for c in url.strip()):
        raise UrlRefused("invalid_webhook_url", "Adresse invalide : une URL https://… est attendue.")
    if parts.username or parts.password:
        raise UrlRefused("invalid_webhook_url", "L'adresse ne doit pas contenir d'identifiants ; "
                                                "vérifiez la signature X-Rdv-Signature à la place.")
    if production and parts.scheme != "https":
        raise UrlRefused("insecure_webhook_url", "En production, l'adresse du webhook doit commencer par https://.")
    if production and _internal(parts.hostname):
        raise UrlRefused("private_webhook_url", "L'adresse du webhook doit être joignable sur Internet "
                                                "(pas d'adresse locale ou privée).")
    del port
    return url.strip()


def _internal(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def next_attempt(*, attempts: int, created_at: datetime, now: datetime, base: float,
                 horizon: float) -> datetime | None:
    """After `attempts` failed attempts: when to try again (base, then doubling), or None once the next
    try would fall beyond `horizon` seconds after the event."""
    delay = base * 2 ** max(attempts - 1, 0)
    at = now + timedelta(seconds=delay)
    return at if at <= created_at + timedelta(seconds=horizon) else None
