"""Run every benchmark script of this folder, one process each (`make bench`).

    .venv/bin/python -m bench            # all of them
    .venv/bin/python -m bench creneaux   # only those named
Each script prints its table and writes its own section of bench/RESULTS.md.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def main(argv: list[str]) -> int:
    chosen = [name for name in scripts() if not argv or name in argv]
    failed = []
    for name in chosen:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"], cwd=HERE.parent)
        print(f"=== bench.{name}: {'ok' if code == 0 else f'FAILED ({code})'} in "
              f"{time.monotonic() - started:.0f} s ===", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
