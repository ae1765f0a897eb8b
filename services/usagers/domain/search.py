"""What an agent typed in the search box: a name, a phone or an email."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from services.usagers.domain.contacts import looks_like_phone, phone_search_key

MAX_TOKENS = 6
# Letters NFKD does not decompose; PostgreSQL's unaccent maps them the same way.
_SPECIAL = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ß": "ss", "þ": "th",
                          "ð": "d", "ı": "i"})


@dataclass(frozen=True)
class SearchQuery:
    kind: Literal["all", "name", "phone", "email"]
    tokens: tuple[str, ...] = ()
    prefix: str = ""

    @property
    def prefix_tsquery(self) -> str:
        """Every token is the prefix of some word: 'elo':* & 'mar':*."""
        return " & ".join(f"'{t}':*" for t in self.tokens)

    @property
    def exact_tsqueries(self) -> list[str]:
        """One query per token, matching it as a whole word (for the ranking)."""
        return [f"'{t}'" for t in self.tokens]


def fold(text: str) -> str:
    """Lower-case, without accents ("Élodie Lefèvre-Œuf" -> "elodie lefevre-oeuf")."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_tokens(text: str) -> tuple[str, ...]:
    """The words of a typed name; hyphens, apostrophes and spaces all separate words."""
    tokens = re.findall(r"[^\W_]+", fold(text))
    seen: list[str] = []
    for token in tokens:
        if token not in seen:
            seen.append(token)
    return tuple(seen[:MAX_TOKENS])


def parse_query(q: str | None) -> SearchQuery:
    text = (q or "").strip()
    if not text:
        return SearchQuery("all")
    if "@" in text:
        return SearchQuery("email", prefix=text.lower())
    if looks_like_phone(text):
        return SearchQuery("phone", prefix=phone_search_key(text))
    tokens = name_tokens(text)
    if not tokens:
        return SearchQuery("all")
    return SearchQuery("name", tokens=tokens)


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string after every string starting with prefix (C collation)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
