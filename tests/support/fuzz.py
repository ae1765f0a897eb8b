"""schemathesis over the gateway's /openapi.json with every check (`--checks all`, the command line
as anyone would run it), shared by the e2e check and the reliability suite."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

CONFIG = Path(__file__).with_name("schemathesis.toml")
SKIPPED_PATHS = ("/api/v1/auth/logout",)  # would end the session the other cases use


def run_schemathesis(base_url: str, token: str, *, max_examples: int, phases: str, seed: int | None = None,
                     timeout: float = 3000) -> tuple[int, list[str], str]:
    """Run `st run --checks all` against the gateway; return (test cases, failures, output)."""
    command = [str(Path(sys.executable).with_name("schemathesis")), "--config-file", str(CONFIG), "run",
               f"{base_url}/openapi.json", "--checks", "all", "--phases", phases,
               "--max-examples", str(max_examples), "-H", f"Authorization: Bearer {token}", "--no-color"]
    for path in SKIPPED_PATHS:
        command += ["--exclude-path", path]
    if seed is not None:
        command += ["--seed", str(seed), "--generation-deterministic"]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.support.schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="rdv-schemathesis-") as scratch:  # its cache stays out of the tree
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=scratch)
    output = done.stdout + done.stderr
    generated = re.search(r"(\d+) generated", output)
    failures = re.findall(r"\n_{3,} (.+?) _{3,}\n", output)
    if done.returncode != 0 and not failures:
        failures = [output[-3000:]]  # an error of the run itself (schema not loaded, crash)
    return int(generated.group(1)) if generated else 0, failures, output
