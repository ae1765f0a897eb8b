"""What a hung test was waiting for: pytest-timeout shows only threads, and a test stuck on an await shows its
event loop idle in `select`. Shortly before that timeout, the stacks of every pending asyncio task are written
to stderr, which pytest then reports with the failure."""
from __future__ import annotations

import asyncio
import gc
import sys
import threading


def pending_tasks() -> list[asyncio.Task]:
    """Every unfinished asyncio task of the process, whatever its loop (read from another thread: a diagnosis
    of a loop that is idle, not a synchronised view)."""
    return [o for o in gc.get_objects() if isinstance(o, asyncio.Task) and not o.done()]


def dump_pending_tasks(file=None) -> None:
    file = file or sys.stderr
    tasks = pending_tasks()
    print(f"----- {len(tasks)} pending asyncio tasks -----", file=file)
    for task in tasks:
        print(f"--- {task.get_name()}: {task.get_coro()!r}", file=file)
        task.print_stack(limit=20, file=file)
    file.flush()


def watch(seconds: float) -> threading.Timer:
    """Dump the pending tasks if still running after `seconds`; cancel() the timer when done."""
    timer = threading.Timer(seconds, dump_pending_tasks)
    timer.daemon = True
    timer.start()
    return timer
