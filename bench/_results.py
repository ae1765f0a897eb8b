"""bench/RESULTS.md: each benchmark script owns one section, between its start and end markers."""
from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(key: str, title: str, text: str) -> None:
    """Replace (or append) the section `key` of RESULTS.md with `## title` and `text`."""
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = f"{start}\n## {title}\n\n{text}\n{end}"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        current = head + section + rest.split(end, 1)[1]
    else:
        current = current.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(current)
