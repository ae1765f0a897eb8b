"""The floor plan holds: domain packages stay pure Python, errors are raised without the web framework,
and no two modules import each other, even through an import tucked inside a function."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("fastapi", "starlette", "sqlalchemy", "nats")
PACKAGES = ("rdv", "shared", "gateway", "services")
KNOWN_CYCLES: list[set[str]] = []  # none left: a new one is untied, not listed here


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


def _import_graph() -> dict[str, set[str]]:
    """Module -> our modules it imports, at the top or inside a function (migration scripts aside)."""
    files = {}
    for package in PACKAGES:
        for f in ROOT.glob(f"{package}/**/*.py"):
            if "versions" not in f.parts:
                name = ".".join(f.relative_to(ROOT).with_suffix("").parts)
                files[name.removesuffix(".__init__")] = f
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, f in files.items():
        for node in ast.walk(ast.parse(f.read_text(), str(f))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [{"a", "b", "c"}]


def test_no_import_cycles():
    graph = _import_graph()
    assert {"rdv.cli", "rdv.supervisor", "shared.errors"} <= graph.keys()
    assert [cycle for cycle in _cycles(graph) if cycle not in KNOWN_CYCLES] == []
