"""The processes under a supervisor, read from /proc (Linux)."""
from __future__ import annotations

import os
from pathlib import Path


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, grandchildren...)."""
    found: set[int] = set()
    stack = [pid]
    while stack:
        try:
            tasks = list(Path(f"/proc/{stack.pop()}/task").glob("*"))
        except OSError:  # the process ended while we looked (ProcessLookupError, FileNotFoundError)
            continue
        for task in tasks:
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
            for kid in kids:
                if kid not in found:
                    found.add(kid)
                    stack.append(kid)
    return found


def service_pids(supervisor_pid: int, service: str) -> dict[int, int]:
    """{port: pid} of the `rdv service <service> --port N` processes under the supervisor."""
    pids = {}
    for pid in descendants(supervisor_pid):
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "service" in args and service in args and "--port" in args:
            pids[int(args[args.index("--port") + 1])] = pid
    return pids


def kind_of(pid: int) -> str:
    """What a process of the system is: its service name, `supervisor`, `postgres`, or its program's name."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in argv if a]
    if "service" in words and words.index("service") + 1 < len(words):
        return words[words.index("service") + 1]
    if "up" in words:
        return "supervisor"
    name = Path(words[0]).name if words else "?"
    return "postgres" if name.startswith("postgres") else name


def cpu_by_kind(roots: list[int]) -> dict[str, float]:
    """CPU seconds (utime + stime, and cutime + cstime: children already reaped, such as PostgreSQL's
    closed backends, counted once) of `roots` and every process below them, by `kind_of`."""
    clock_ticks = os.sysconf("SC_CLK_TCK")
    by_kind: dict[str, float] = {}
    for pid in set(roots).union(*(descendants(root) for root in roots)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks = sum(int(x) for x in fields[11:15])
        except (OSError, IndexError, ValueError):
            continue
        kind = kind_of(pid)
        by_kind[kind] = by_kind.get(kind, 0.0) + ticks / clock_ticks
    return by_kind
