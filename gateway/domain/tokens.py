"""Session tokens: random, shown once to the client, stored as a SHA-256 hash."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

IDLE_EXPIRY = timedelta(days=14)
TOUCH_EVERY = timedelta(minutes=1)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_idle_expired(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at > IDLE_EXPIRY
