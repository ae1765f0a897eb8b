"""Read deploy/ without a container engine: YAML files, a kustomize-like build of base + overlays
(the subset our kustomizations use), the Dockerfile's instructions, and what the code reads."""
from __future__ import annotations

import copy
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").exists())

CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "StorageClass", "PersistentVolume",
                  "CustomResourceDefinition", "PriorityClass"}
MERGE_BY_NAME = {"containers", "initContainers", "env", "volumes"}  # strategic-merge keys we rely on


def load_all(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


# ---------- kustomize (resources, namespace, images, strategic-merge patches) ----------

def build(path: Path) -> list[dict]:
    k = yaml.safe_load((path / "kustomization.yaml").read_text(encoding="utf-8"))
    known = {"apiVersion", "kind", "namespace", "resources", "images", "patches"}
    assert set(k) <= known, f"{path}: kustomization fields this check does not model: {set(k) - known}"
    docs: list[dict] = []
    for resource in k.get("resources", []):
        target = (path / resource).resolve()
        assert target.exists(), f"{path}: resource {resource} is missing"
        docs += build(target) if target.is_dir() else load_all(target)
    for patch in k.get("patches", []):
        assert set(patch) == {"path"}, f"{path}: only file patches are modelled: {patch}"
        for p in load_all(path / patch["path"]):
            found = [d for d in docs if d["kind"] == p["kind"] and d["metadata"]["name"] == p["metadata"]["name"]]
            assert len(found) == 1, f"{path}/{patch['path']}: patch target {p['kind']}/{p['metadata']['name']} not found"
            _merge(found[0], {key: value for key, value in p.items() if key not in ("apiVersion", "kind")})
    if k.get("namespace"):
        for d in docs:
            if d["kind"] not in CLUSTER_SCOPED:
                d["metadata"]["namespace"] = k["namespace"]
    for image in k.get("images", []):
        for d in docs:
            for container in containers(d):
                name, _, tag = container["image"].partition(":")
                if name == image["name"]:
                    container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}".rstrip(":")
    return docs


def _merge(dst: dict, src: dict) -> None:
    for key, value in src.items():
        if key == "metadata":
            value = {k: v for k, v in value.items() if k != "name"}
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _merge(dst[key], value)
        elif key in MERGE_BY_NAME and isinstance(value, list) and isinstance(dst.get(key), list):
            for item in value:
                same = [d for d in dst[key] if d.get("name") == item["name"]]
                if same:
                    _merge(same[0], item)
                else:
                    dst[key].append(copy.deepcopy(item))
        else:
            dst[key] = copy.deepcopy(value)


def pod_spec(doc: dict) -> dict | None:
    if doc["kind"] in ("Deployment", "StatefulSet", "Job", "DaemonSet"):
        return doc["spec"]["template"]["spec"]
    return None


def pod_labels(doc: dict) -> dict:
    return doc["spec"]["template"]["metadata"].get("labels", {})


def containers(doc: dict) -> list[dict]:
    spec = pod_spec(doc)
    return [] if spec is None else spec.get("containers", []) + spec.get("initContainers", [])


def find(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} found"
    return found[0]


def matches(selector: dict, labels: dict) -> bool:
    wanted = selector.get("matchLabels", {}) if "matchLabels" in selector or not selector else selector
    assert not selector.get("matchExpressions"), "matchExpressions are not modelled"
    return all(labels.get(k) == v for k, v in wanted.items())


# ---------- Dockerfile ----------

@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def dockerfile_stages(path: Path = DEPLOY / "Dockerfile") -> list[Stage]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        op, _, rest = line.partition(" ")
        op = op.upper()
        if op == "FROM":
            parts = rest.split()
            stages.append(Stage(parts[0], parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None))
        else:
            assert stages, f"{op} before FROM"
            stages[-1].instructions.append((op, " ".join(rest.split())))
    return stages


def exec_form(value: str) -> list[str] | None:
    """The JSON array of CMD/ENTRYPOINT, or None for the shell form."""
    if not value.startswith("["):
        return None
    return yaml.safe_load(value)


def env_pairs(value: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in shlex.split(value))


# ---------- what the code reads ----------

def env_names_read_by_code() -> set[str]:
    """Every environment variable name the code reads (literals, per-service patterns, settings classes)."""
    from importlib import import_module

    from opentelemetry.sdk import environment_variables as otel_env
    from pydantic import AliasChoices
    from pydantic_settings import BaseSettings

    from rdv.cli import ALL

    names: set[str] = set()
    sources = [p for d in ("shared", "rdv", "gateway", "services") for p in (ROOT / d).rglob("*.py")]
    for source in sources:
        text = source.read_text(encoding="utf-8")
        names |= set(re.findall(r"environ(?:\.get)?[\(\[]\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text))
        names |= set(re.findall(r"env\.get\(\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text))
        names |= set(re.findall(r"_ENV\s*=\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text))
        for suffix in re.findall(r"\{[a-z_.]+\.upper\(\)\}_([A-Z_]+)", text):
            names |= {f"{service.upper()}_{suffix}" for service in ALL}
    modules = ["shared.settings", *("gateway.config" if s == "gateway" else f"services.{s}.config" for s in ALL)]
    for cls in {c for m in modules for c in vars(import_module(m)).values()
                if isinstance(c, type) and issubclass(c, BaseSettings) and c is not BaseSettings}:
        prefixes = cls.env_prefixes() if hasattr(cls, "env_prefixes") else (cls.model_config.get("env_prefix", ""),)
        for fname, info in cls.model_fields.items():
            alias = info.validation_alias
            if isinstance(alias, AliasChoices):
                names |= {c for c in alias.choices if isinstance(c, str)}
            elif isinstance(alias, str):
                names.add(alias)
            elif any(prefixes):
                names |= {prefix + fname.upper() for prefix in prefixes}
    names |= {v for k, v in vars(otel_env).items() if k.startswith("OTEL_") and isinstance(v, str)}
    return names


def _expand(name: str) -> set[str]:
    """`<SERVICE>_X` for every process, `<NAME>_X` for every service but the gateway (which uses `RDV_`)."""
    from rdv.cli import ALL

    if name.startswith("<SERVICE>_"):
        return {f"{s.upper()}_{name.split('_', 1)[1]}" for s in ALL}
    if name.startswith("<NAME>_"):
        return {f"{s.upper()}_{name.split('_', 1)[1]}" for s in ALL if s != "gateway"}
    return {name}


def _names_in_cells(cells: str) -> set[str]:
    return {n for raw in re.findall(r"`([A-Z<][A-Z0-9_<>]+)`", cells) for n in _expand(raw)}


def documented_settings() -> dict[str, str]:
    """The variables table of docs/operations.md ("Settings (environment)"): name -> what deployments do with it
    (`set`, `kubernetes`, `optional`, `never`), `<SERVICE>_`/`<NAME>_` expanded. This is the project's own promise
    about its configuration; the contract's Operations table is checked against it when the contract is at hand."""
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = text.split("## Settings (environment)", 1)[1].split("| variable |", 1)[1].split("\n\n", 1)[0]
    settings: dict[str, str] = {}
    for row in table.splitlines()[2:]:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert len(cells) == 4, f"docs/operations.md: a settings row needs 4 cells: {row}"
        for name in _names_in_cells(cells[0]):
            settings[name] = cells[2]
    return settings


CONTRACT_API = ROOT.parent / "shared" / "contract" / "api.md"


def contract_operations_names() -> set[str]:
    """Names in the contract's Operations table (../shared/contract/api.md, beside a checkout on the project's own
    machines only), expanded like the docs' table."""
    text = CONTRACT_API.read_text(encoding="utf-8")
    table = text.split("## Operations", 1)[1].split("\n\n", 1)[0]
    return _names_in_cells(table)
