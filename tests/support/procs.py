"""The processes under a supervisor, read from /proc (Linux)."""
from __future__ import annotations

from pathlib import Path


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (children, grandchildren...)."""
    found: set[int] = set()
    stack = [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").glob("*"):
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
