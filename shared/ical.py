"""iCalendar (RFC 5545) text written by hand: TEXT escapes, RFC 6868 parameter values, UTC
instants and lines folded at 75 octets. Used by the notifications' .ics attachments and by the
agents' calendar feeds (gateway); tests check the output with the `icalendar` package."""
from __future__ import annotations

import re
from datetime import datetime, timezone

_QUOTABLE = re.compile("[,;:’]")  # noqa: RUF001 (the typographic apostrophe, as icalendar quotes it)


def utc(instant: datetime) -> str:
    """A DATE-TIME in UTC (`20270301T080000Z`)."""
    return instant.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    return (value.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def param(value: str) -> str:
    """A parameter value (e.g. CN): RFC 6868 escapes (^^, ^', ^n), quoted when it holds , ; : ’ space or '."""
    quote = " " in value or "'" in value
    value = (value.replace("^", "^^").replace("\r\n", "^n").replace("\r", "^n").replace("\n", "^n")
             .replace('"', "^'"))
    return f'"{value}"' if quote or _QUOTABLE.search(value) else value


def fold(line: str, limit: int = 75) -> str:
    """Lines of 75 octets or more continue on the next line after CRLF + space (RFC 5545 3.1), cut
    between characters, never between a backslash or caret and the character it escapes."""
    data = line.encode()
    if len(data) < limit:
        return line
    parts: list[bytes] = []
    start = 0
    while len(data) - start >= limit:
        end = start + limit - 1
        while data[end] & 0xC0 == 0x80:  # not inside a character
            end -= 1
        if data[end - 1] in b"\\^" and end - 1 > start:  # carry the escape over with its character
            end -= 1
        parts.append(data[start:end])
        start = end
    parts.append(data[start:])
    return b"\r\n ".join(parts).decode()


def lines_to_bytes(lines: list[str]) -> bytes:
    """Content lines, folded, each ended by CRLF."""
    return "".join(fold(line) + "\r\n" for line in lines).encode()
