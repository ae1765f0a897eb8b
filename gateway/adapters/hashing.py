"""Password hashing with argon2id (argon2-cffi), run off the event loop."""
from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# OWASP's argon2id baseline (19 MiB, 2 passes): ~20 ms here, fine for a login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY = _hasher.hash("pas-un-vrai-mot-de-passe-1A!")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown email) spend the same time and answer False."""
    def _verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return await asyncio.to_thread(_verify)
