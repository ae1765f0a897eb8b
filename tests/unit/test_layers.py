"""The floor plan holds: domain packages stay pure Python, errors are raised without the web framework."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "nats")


def _domain_modules() -> list[str]:
    files = sorted([*ROOT.glob("gateway/domain/*.py"), *ROOT.glob("services/*/domain/*.py")])
    return [".".join(f.relative_to(ROOT).with_suffix("").parts) for f in files if f.name != "__init__.py"]


def _loaded_after_importing(modules: list[str]) -> list[str]:
    """Import `modules` in a fresh interpreter; answer the frameworks that came along."""
    script = (f"import importlib, json, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
              f"print(json.dumps(sorted(k for k in {FRAMEWORKS!r} if k in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_domain_packages_import_no_framework_even_indirectly():
    modules = _domain_modules()
    assert len(modules) > 20  # the glob found them
    assert _loaded_after_importing(modules) == []


def test_the_error_tree_is_pure_python():
    assert _loaded_after_importing(["shared.errors"]) == []


def test_every_service_error_base_is_part_of_the_tree():
    from services.availability.domain.errors import InvalidRule
    from services.booking.domain.rdv import InvalidTransition, RdvRuleBroken, SlotTaken
    from services.usagers.domain.errors import UsagerAnonymized, UsagerError
    from shared.errors import AppError, Conflict, ValidationFailed

    assert issubclass(RdvRuleBroken, Conflict) and issubclass(UsagerError, ValidationFailed)
    assert issubclass(InvalidRule, ValidationFailed)
    rule = InvalidRule("recurrence.on", "Jour de la semaine inconnu.")
    assert (rule.status, rule.body()) == (422, {"error": {
        "code": "validation_error", "message": "Jour de la semaine inconnu.",
        "details": {"fields": {"recurrence.on": "Jour de la semaine inconnu."}}}})
    assert (InvalidTransition("Non.").status, InvalidTransition("Non.").code) == (409, "invalid_transition")
    assert (SlotTaken("Pris.").status, SlotTaken("Pris.").code) == (409, "slot_taken")
    assert (UsagerAnonymized().status, UsagerAnonymized().code) == (409, "usager_anonymized")
    assert all(issubclass(cls, AppError) for cls in (InvalidRule, RdvRuleBroken, UsagerError))
