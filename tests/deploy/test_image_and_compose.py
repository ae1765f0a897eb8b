"""The container image (Dockerfile) and compose.yaml, checked without a container engine:
hadolint-like rules, and a cross-check of image, commands, ports, healthchecks and env names
against the code; then the image's command run as the container would run it."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from rdv.cli import ALL
from rdv.embedded import free_port
from shared.settings import DEFAULT_PORTS
from tests.deploy.manifests import (DEPLOY, ROOT, build, dockerfile_stages, env_names_read_by_code, env_pairs,
                                    exec_form, find, pod_spec)

COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
VERSION = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)


# ---------- Dockerfile ----------

def test_image_is_multi_stage_with_pinned_bases_and_a_non_root_runtime():
    stages = dockerfile_stages()
    assert len(stages) >= 2 and all(s.name for s in stages)
    for stage in stages:
        repo, _, tag = stage.image.partition(":")
        assert tag and tag != "latest", f"unpinned base image {stage.image}"
    runtime = stages[-1]
    ops = [op for op, _ in runtime.instructions]
    users = [v for op, v in runtime.instructions if op == "USER"]
    assert users and re.fullmatch(r"\d+(:\d+)?", users[-1]) and not users[-1].startswith("0")
    last_user = max(i for i, op in enumerate(ops) if op == "USER")
    assert not any(op in ("RUN", "COPY", "ADD") for op in ops[last_user + 1:]), "nothing runs as root after USER"
    assert exec_form(dict(runtime.instructions)["ENTRYPOINT"]) == ["rdv"]
    cmd = exec_form(dict(runtime.instructions)["CMD"])
    assert cmd[0] == "service" and cmd[1] in ALL
    exposed = {int(p) for op, v in runtime.instructions if op == "EXPOSE" for p in v.split()}
    assert exposed == set(DEFAULT_PORTS.values())
    # the build tools stay in the build stages
    assert not any(op == "RUN" and ("pip install" in v or "npm" in v) for op, v in runtime.instructions)


def test_dockerfile_hygiene():
    stages = dockerfile_stages()
    names = {s.name for s in stages}
    for stage in stages:
        for op, value in stage.instructions:
            assert op != "ADD", "use COPY (ADD fetches URLs and unpacks archives)"
            assert op != "MAINTAINER"
            if op == "RUN":
                if "pip install" in value:
                    assert "--no-cache-dir" in value or "PIP_NO_CACHE_DIR" in str(stage.instructions)
                if "apt-get install" in value:
                    assert "--no-install-recommends" in value and "rm -rf /var/lib/apt/lists" in value
                assert "sudo " not in value and "curl " not in value and "wget " not in value
            if op == "COPY":
                parts = value.split()
                source_from = [p for p in parts if p.startswith("--from=")]
                if source_from:
                    assert source_from[0].removeprefix("--from=") in names
                else:
                    for src in [p for p in parts if not p.startswith("--")][:-1]:
                        assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
                        assert src not in (".venv", ".git", "node_modules", ".rdv")
            if op == "ENV":
                for key in env_pairs(value):
                    assert not re.search(r"SECRET|PASSWORD|KEY", key), f"secret baked in the image: {key}"
    runtime_env = {}
    for op, value in stages[-1].instructions:
        if op == "ENV":
            runtime_env.update(env_pairs(value))
    assert runtime_env["RDV_ENV"] == "production"
    assert set(runtime_env) - {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE"} <= env_names_read_by_code()
    copied = [v for op, v in stages[-1].instructions if op == "COPY" and "node_modules" in v]
    assert copied and copied[0].split()[-1] == runtime_env["RDV_NODE_MODULES"]
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert {".git", ".venv", "node_modules", ".rdv"} <= set(ignore)


def test_hadolint_finds_nothing_in_the_dockerfile():
    hadolint = Path(sys.executable).parent / "hadolint"
    out = subprocess.run([str(hadolint), "--failure-threshold", "style", "--no-color", str(DEPLOY / "Dockerfile")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def test_image_and_k8s_and_compose_name_the_same_image():
    compose_image = re.fullmatch(r"\$\{RDV_IMAGE:-([^}]+)\}", COMPOSE["x-rdv-image"]["image"]).group(1)
    base = build(DEPLOY / "k8s" / "base")
    k8s_image = pod_spec(find(base, "Deployment", "booking"))["containers"][0]["image"]
    assert compose_image == k8s_image == f"rdv:{VERSION}"


# ---------- compose ----------

def _rdv_services():
    return {name: svc for name, svc in SERVICES.items() if name in ALL}


def _interpolate(value: str, env: dict[str, str]) -> str:
    def sub(m):
        name, op, default = m.group(1), m.group(2), m.group(3) or ""
        if op == ":?":
            assert env.get(name), f"{name} is required"
            return env[name]
        return env.get(name) or default

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", sub, value)


def _example_env() -> dict[str, str]:
    env = {}
    for line in (DEPLOY / "compose.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value or f"test-{key.lower()}"
    return env


def test_compose_runs_postgres_nats_the_migration_and_every_service():
    assert set(SERVICES) == {"postgres", "nats", "migrate", *ALL}
    assert "--jetstream" in SERVICES["nats"]["command"]
    for name in ("postgres", "nats"):
        assert SERVICES[name]["healthcheck"]["test"]
    migrate = SERVICES["migrate"]
    assert migrate["command"] == ["migrate"] and migrate["restart"] == "no"
    assert (DEPLOY / migrate["build"]["context"] / migrate["build"]["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert (DEPLOY / migrate["build"]["context"] / "pyproject.toml").exists()
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_services_run_the_image_with_healthchecks_and_two_replicas_of_booking_and_availability():
    for name, svc in _rdv_services().items():
        assert svc["image"] == COMPOSE["x-rdv-image"]["image"]
        assert svc["command"] == ["service", name]
        check = " ".join(svc["healthcheck"]["test"])
        assert f"http://127.0.0.1:{DEFAULT_PORTS[name]}/readyz" in check
        assert svc["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert svc["depends_on"]["nats"]["condition"] == "service_healthy"
        assert svc.get("read_only") is True
        replicas = svc.get("deploy", {}).get("replicas", 1)
        assert replicas == (2 if name in ("booking", "availability") else 1), name
        if name == "gateway":
            assert svc["ports"] == ["${RDV_PUBLIC_PORT:-8000}:8000"]
            assert {f"{s}" for s in svc["depends_on"]} >= set(ALL[1:])
        else:
            assert "ports" not in svc, "only the gateway is published"


def test_compose_environment_is_what_the_code_reads_and_complete():
    known = env_names_read_by_code()
    env = _example_env()
    created = set(re.findall(r"create database (\w+);", (DEPLOY / "postgres" / "initdb.sql").read_text()))
    for name, svc in {**_rdv_services(), "migrate": SERVICES["migrate"]}.items():
        variables = svc["environment"]
        assert not set(variables) - known, f"{name}: {set(variables) - known}"
        assert "RDV_NOW" not in variables
        assert variables["RDV_ENV"] == "production" and variables["NATS_URL"] == "nats://nats:4222"
        urls = {k: _interpolate(v, env) for k, v in variables.items() if k.endswith("_DATABASE_URL")}
        expected = set(ALL) if name == "migrate" else {name}
        assert {k.removesuffix("_DATABASE_URL").lower() for k in urls} == expected
        for key, url in urls.items():
            db = re.fullmatch(r"postgresql://rdv:[^@]+@postgres:5432/(\w+)", url).group(1)
            assert db == f"rdv_{key.removesuffix('_DATABASE_URL').lower()}" and db in created
        if name in ALL:
            host, port = ("RDV_HOST", "RDV_PORT") if name == "gateway" else (f"{name.upper()}_HOST",
                                                                              f"{name.upper()}_PORT")
            assert variables[host] == "0.0.0.0" and variables[port] == str(DEFAULT_PORTS[name])
    gateway = SERVICES["gateway"]["environment"]
    for name in ALL[1:]:
        assert gateway[f"{name.upper()}_URL"] == f"http://{name}:{DEFAULT_PORTS[name]}"
    assert SERVICES["booking"]["environment"]["AVAILABILITY_URL"] == "http://availability:8101"
    text = (DEPLOY / "compose.yaml").read_text()
    for required in ("RDV_INTERNAL_SECRET", "RDV_PLATFORM_KEY", "RDV_PG_PASSWORD"):
        assert f"${{{required}:?" in text
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    assert used <= set(env), f"not in compose.env.example: {used - set(env)}"
    assert ".env" in (DEPLOY / ".gitignore").read_text().split()


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose (Debian's 1.29) absent")
def test_docker_compose_validates_the_file(tmp_path):
    """Compose's own schema check (`docker-compose config` needs no engine). Compose 1.29 predates the
    top-level `name`, so that line is left out of the copy it reads."""
    copy = tmp_path / "compose.yaml"
    copy.write_text("".join(line for line in (DEPLOY / "compose.yaml").read_text().splitlines(keepends=True)
                            if not line.startswith("name: ")))

    def config(env):
        return subprocess.run(["docker-compose", "-f", str(copy), "--project-directory", str(DEPLOY), "config"],
                              env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60)

    ok = config(_example_env())
    assert ok.returncode == 0, ok.stderr
    resolved = yaml.safe_load(ok.stdout)["services"]
    assert resolved["booking"]["deploy"]["replicas"] == 2
    assert resolved["gateway"]["environment"]["RDV_PLATFORM_KEY"] == _example_env()["RDV_PLATFORM_KEY"]
    missing = config({k: v for k, v in _example_env().items() if k != "RDV_INTERNAL_SECRET"})
    assert missing.returncode != 0 and "RDV_INTERNAL_SECRET" in missing.stderr


# ---------- the container's command, run here ----------

def test_the_containers_commands_work_with_the_manifests_env_names(infra, tmp_path):
    """`rdv migrate` with the migration job's variables, then `rdv service availability` with the
    Deployment's variables (values local), answering its probes."""
    base = build(DEPLOY / "k8s" / "base")
    config = find(base, "ConfigMap", "rdv-config")["data"]
    job = pod_spec(find(base, "Job", "rdv-migrate"))["containers"][0]
    env = {k: v for k, v in config.items()}
    env.update({"NATS_URL": infra.nats_url, "RDV_STREAM_REPLICAS": "1", "RDV_INTERNAL_SECRET": "s" * 32,
                "RDV_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    for item in job["env"]:
        env[item["name"]] = infra.create_database("deploy")
    done = subprocess.run([sys.executable, "-m", "rdv.cli", *job["args"]], env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]

    container = pod_spec(find(base, "Deployment", "availability"))["containers"][0]
    port = free_port()
    service_env = dict(env)
    for item in container["env"]:
        if "value" in item:
            service_env[item["name"]] = item["value"]
    service_env["AVAILABILITY_PORT"] = str(port)  # a free port instead of 8101 on this shared machine
    service_env = {k: v for k, v in service_env.items() if not k.endswith("_DATABASE_URL") or k.startswith("AVAIL")}
    log = tmp_path / "availability.log"
    proc = subprocess.Popen([sys.executable, "-m", "rdv.cli", *container["args"]], env=service_env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    try:
        probes = {c: container[c]["httpGet"]["path"] for c in ("livenessProbe", "readinessProbe")}
        deadline = time.time() + 60
        status = {}
        while time.time() < deadline and proc.poll() is None:
            try:
                status = {p: httpx.get(f"http://127.0.0.1:{port}{p}", timeout=2).status_code
                          for p in probes.values()}
                if all(code == 200 for code in status.values()):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        assert status and all(code == 200 for code in status.values()), log.read_text()[-3000:]
        lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
        assert lines and all(yaml.safe_load(line)["service"] == "availability" for line in lines)
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.mark.parametrize("name", ALL)
def test_rdv_service_accepts_every_name_the_manifests_use(name):
    out = subprocess.run([sys.executable, "-m", "rdv.cli", "service", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and name in out.stdout
