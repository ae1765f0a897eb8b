"""`make audit`: known vulnerabilities of the Python dependencies (pip-audit) and the front-end's (npm audit).

Exit 0: both audited, nothing known; 1: vulnerabilities found; 2: an audit could not reach its vulnerability
database (no network to it from here, or its service refusing): said plainly, never reported as clean.
pip-audit's PyPI service answers « No known vulnerabilities found » when it could look up no package at all
(every one skipped as « not found on PyPI »): that counts as unreachable too. CI runs the same on a forge that
reaches the databases (.github/workflows/audit.yml).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OK, VULNERABLE, UNREACHABLE = 0, 1, 2
NETWORK_SIGNS = ("ConnectionError", "NameResolutionError", "Max retries exceeded", "Temporary failure in name",
                 "timed out", "audit endpoint returned an error", "ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED")


def _run(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def python_audit() -> tuple[int, str]:
    proc = _run([sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--format", "json",
                 "--skip-editable"])
    if "No module named pip_audit" in proc.stderr:
        return UNREACHABLE, "pip-audit n'est pas installé (make audit l'installe : pip-audit épinglé)"
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        reason = next((s for s in NETWORK_SIGNS if s in proc.stderr), None)
        if reason:
            return UNREACHABLE, f"base de vulnérabilités injoignable ({reason}) : dépendances Python NON auditées"
        return UNREACHABLE, f"pip-audit a échoué (code {proc.returncode}) : {proc.stderr.strip()[-500:]}"
    deps = report.get("dependencies", [])
    audited = [d for d in deps if not d.get("skip_reason")]
    if not audited:
        return UNREACHABLE, (f"base de vulnérabilités injoignable : aucune des {len(deps)} dépendances Python n'a pu "
                             "être vérifiée (« not found on PyPI ») : NON auditées")
    vulnerable = {f"{d['name']} {d['version']}": [v["id"] for v in d.get("vulns", [])] for d in audited
                  if d.get("vulns")}
    skipped = len(deps) - len(audited)
    note = f" ({skipped} non vérifiées)" if skipped else ""
    if vulnerable:
        lines = "\n".join(f"  {name}: {', '.join(ids)}" for name, ids in sorted(vulnerable.items()))
        return VULNERABLE, f"{len(vulnerable)} dépendance(s) Python vulnérable(s){note} :\n{lines}"
    return OK, f"{len(audited)} dépendances Python auditées{note} : aucune vulnérabilité connue"


def npm_audit() -> tuple[int, str]:
    if not (ROOT / "package-lock.json").exists():
        return OK, "pas de dépendances front-end"
    if not shutil.which("npm"):
        return UNREACHABLE, "npm absent : dépendances front-end NON auditées"
    proc = _run(["npm", "audit", "--json", "--omit=dev"])
    text = proc.stdout + proc.stderr
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = {}
    if "error" in report or (proc.returncode != 0 and "metadata" not in report):
        reason = next((s for s in NETWORK_SIGNS if s in text), "réponse d'erreur")
        return UNREACHABLE, f"base de vulnérabilités npm injoignable ({reason}) : dépendances front-end NON auditées"
    counts = report.get("metadata", {}).get("vulnerabilities", {})
    found = {level: n for level, n in counts.items() if level != "total" and n}
    if found:
        return VULNERABLE, f"dépendances front-end vulnérables : {found} (détail : npm audit)"
    return OK, "dépendances front-end auditées : aucune vulnérabilité connue"


def main() -> int:
    worst = OK
    for name, audit in (("python", python_audit), ("npm", npm_audit)):
        code, message = audit()
        print(f"audit {name:<6} : {message}")
        worst = max(worst, code)
    if worst == UNREACHABLE:
        print("make audit : au moins une base de vulnérabilités est injoignable d'ici ; l'audit n'est PAS fait. "
              "Il tourne à chaque push sur une forge qui les atteint (.github/workflows/audit.yml).")
    return worst


if __name__ == "__main__":
    sys.exit(main())
