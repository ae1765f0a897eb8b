"""SMS text safe for the GSM 03.38 7-bit alphabet (160 characters per SMS)."""
from __future__ import annotations

import unicodedata

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")  # each takes two septets

_REPLACEMENTS = {
    "ç": "c", "ê": "e", "ë": "e", "â": "a", "á": "a", "ã": "a", "î": "i", "ï": "i", "í": "i",
    "ô": "o", "ó": "o", "õ": "o", "û": "u", "ú": "u", "ÿ": "y", "œ": "oe", "Œ": "OE",
    "È": "E", "Ê": "E", "Ë": "E", "À": "A", "Â": "A", "Î": "I", "Ï": "I", "Ô": "O", "Û": "U", "Ù": "U",
    "’": "'", "‘": "'", "`": "'", "´": "'", "«": '"', "»": '"', "“": '"', "”": '"',
    "–": "-", "—": "-", "‑": "-", "…": "...", "\u00a0": " ", "\u202f": " ", "\t": " ", "°": "o",
}


def to_gsm7(text: str) -> str:
    """Replace every character outside the GSM-7 alphabet by its closest safe equivalent."""
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        else:
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append("".join(c if c in GSM7_BASIC else "?" for c in plain) or "?")
    return "".join(out)


def septets(text: str) -> int:
    """Length in GSM-7 septets (extension characters count twice)."""
    return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)
