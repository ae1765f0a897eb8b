"""Organisation slugs: the public booking page's address (`/prendre-rdv/<slug>`)."""
from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 60


def slugify(name: str) -> str:
    """Return a lower-case ASCII slug of a name ("Mairie de Saint-Étienne" -> "mairie-de-saint-etienne")."""
    lowered = name.lower().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    ascii_name = unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
    return slug[:MAX_LENGTH].strip("-") or "organisation"


def candidates(name: str):
    """Yield the slug of a name, then the same with -2, -3, ... for when it is taken."""
    base = slugify(name)
    yield base
    n = 2
    while True:
        yield f"{base}-{n}"
        n += 1
