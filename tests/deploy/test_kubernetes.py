"""Kubernetes manifests: they parse, base + overlays assemble, and every service is deployed the
way the code expects (image, command, ports, probes, env names, secrets, scaling, NATS cluster)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from rdv.cli import ALL
from shared.settings import DEFAULT_PORTS
from tests.deploy.manifests import (K8S, OVERLAYS, ROOT, build, containers, env_names_read_by_code, find, load_all,
                                    matches, pod_labels, pod_spec)

VARIANTS = ["base", *OVERLAYS]


def _build(variant: str) -> list[dict]:
    return build(K8S / "base" if variant == "base" else K8S / "overlays" / variant)


@pytest.fixture(scope="module", params=VARIANTS)
def docs(request):
    return _build(request.param)


def _config(docs) -> dict[str, str]:
    return find(docs, "ConfigMap", "rdv-config")["data"]


def _env(docs, container: dict) -> dict[str, object]:
    """The container's environment: envFrom ConfigMaps (values), then env (values or secret refs)."""
    env: dict[str, object] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(find(docs, "ConfigMap", source["configMapRef"]["name"])["data"])
    for item in container.get("env", []):
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def test_every_manifest_file_parses_and_names_its_kind():
    files = list(K8S.rglob("*.yaml"))
    assert len(files) >= 15
    for path in files:
        for doc in load_all(path):
            if path.name == "kustomization.yaml":
                assert doc["kind"] == "Kustomization"
            else:
                assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name"), path


def test_overlays_exist_for_one_departement_and_a_national_operator():
    assert {"departement", "national"} <= set(OVERLAYS)


def test_assembly_has_no_duplicate_and_everything_in_the_namespace(docs):
    keys = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys))
    for d in docs:
        if d["kind"] != "Namespace":
            assert d["metadata"]["namespace"] == "rdv", d["metadata"]["name"]


def test_each_service_has_deployment_service_autoscaler_and_disruption_budget(docs):
    for name in ALL:
        dep = find(docs, "Deployment", name)
        labels = pod_labels(dep)
        assert matches(dep["spec"]["selector"], labels)
        svc = find(docs, "Service", name)
        assert matches({"matchLabels": svc["spec"]["selector"]}, labels)
        assert [p["port"] for p in svc["spec"]["ports"]] == [DEFAULT_PORTS[name]]
        hpa = find(docs, "HorizontalPodAutoscaler", name)
        assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert "replicas" not in dep["spec"], "the autoscaler owns the replica count"
        pdb = find(docs, "PodDisruptionBudget", name)
        assert matches(pdb["spec"]["selector"], labels)


def test_each_service_runs_the_image_as_rdv_service_name_with_probes_on_its_port(docs):
    images = set()
    for name in ALL:
        dep = find(docs, "Deployment", name)
        (c,) = pod_spec(dep)["containers"]
        images.add(c["image"])
        assert c["args"] == ["service", name]
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports == {"http": DEFAULT_PORTS[name]}
        probes = {kind: c[kind]["httpGet"] for kind in ("startupProbe", "livenessProbe", "readinessProbe")}
        assert probes["livenessProbe"]["path"] == "/healthz" and probes["readinessProbe"]["path"] == "/readyz"
        for probe in probes.values():
            assert ports[probe["port"]] == DEFAULT_PORTS[name]
        env = _env(docs, c)
        host, port = ("RDV_HOST", "RDV_PORT") if name == "gateway" else (f"{name.upper()}_HOST", f"{name.upper()}_PORT")
        assert env[host] == "0.0.0.0" and env[port] == str(DEFAULT_PORTS[name])
        pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]  # endpoints updated before uvicorn stops
        assert pre_stop[0] == "sleep" and int(pre_stop[1]) < pod_spec(dep)["terminationGracePeriodSeconds"]
        annotations = dep["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == str(DEFAULT_PORTS[name])
        assert annotations["prometheus.io/path"] == "/metrics"
    assert len(images) == 1, "one image for every service"
    (image,) = images
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert image.endswith(f"rdv:{version}")
    job = find(docs, "Job", "rdv-migrate")
    (c,) = pod_spec(job)["containers"]
    assert c["image"] == image and c["args"] == ["migrate"]


def test_probe_paths_are_served_by_every_service():
    from shared.service import ServiceRuntime
    from shared.settings import ServiceSettings

    paths = {route.path for route in ServiceRuntime("x", ServiceSettings()).create_app().routes}
    assert {"/healthz", "/readyz", "/metrics"} <= paths


def test_env_names_are_the_ones_the_code_reads(docs):
    known = env_names_read_by_code()
    for d in docs:
        for c in containers(d):
            if c["image"].split(":")[0].endswith("rdv"):
                unknown = set(_env(docs, c)) - known
                assert not unknown, f"{d['metadata']['name']}: variables no code reads: {unknown}"
    assert "RDV_NOW" not in _config(docs), "production refuses RDV_NOW"


def test_secrets_database_urls_and_required_production_settings(docs):
    clusters = {d["metadata"]["name"] for d in docs if d["kind"] == "Cluster"}
    example = {d["metadata"]["name"]: d for d in load_all(K8S / "base" / "secret.example.yaml")}
    job_env = _env(docs, pod_spec(find(docs, "Job", "rdv-migrate"))["containers"][0])
    for name in ALL:
        (c,) = pod_spec(find(docs, "Deployment", name))["containers"]
        env = _env(docs, c)
        for url_env in (env[f"{name.upper()}_DATABASE_URL"], job_env[f"{name.upper()}_DATABASE_URL"]):
            ref = url_env["secretKeyRef"]
            assert ref == {"name": f"rdv-{name}-db-app", "key": "uri"}  # made by CloudNativePG
            assert ref["name"].removesuffix("-app") in clusters
        assert env["RDV_ENV"] == "production"
        assert env["RDV_INTERNAL_SECRET"] == {"secretKeyRef": {"name": "rdv-secrets", "key": "RDV_INTERNAL_SECRET"}}
        for item in c["env"]:
            ref = item.get("valueFrom", {}).get("secretKeyRef")
            if ref and ref["name"] == "rdv-secrets":
                assert ref["key"] in example["rdv-secrets"]["stringData"]
        others = {k for k in env if k.endswith("_DATABASE_URL")} - {f"{name.upper()}_DATABASE_URL"}
        assert not others, f"{name} must not see another service's database"
    gateway = _env(docs, pod_spec(find(docs, "Deployment", "gateway"))["containers"][0])
    assert gateway["RDV_PLATFORM_KEY"] == {"secretKeyRef": {"name": "rdv-secrets", "key": "RDV_PLATFORM_KEY"}}
    for cluster in (d for d in docs if d["kind"] == "Cluster"):
        service = cluster["metadata"]["name"].removeprefix("rdv-").removesuffix("-db")
        assert cluster["spec"]["bootstrap"]["initdb"]["database"] == f"rdv_{service}"
        sql = " ".join(cluster["spec"]["bootstrap"]["initdb"]["postInitApplicationSQL"])
        assert {"btree_gist", "unaccent", "pg_trgm"} <= set(re.findall(r"exists (\w+)", sql))


def test_service_urls_point_at_services_on_their_ports(docs):
    config = _config(docs)
    for name in ALL[1:]:
        url = config[f"{name.upper()}_URL"]
        host, port = re.fullmatch(r"http://([a-z-]+):(\d+)", url).groups()
        svc = find(docs, "Service", host)
        assert int(port) in [p["port"] for p in svc["spec"]["ports"]] and int(port) == DEFAULT_PORTS[name]


def test_nats_is_a_three_node_jetstream_cluster_with_replicated_streams(docs):
    config = _config(docs)
    sts = find(docs, "StatefulSet", "nats")
    assert sts["spec"]["replicas"] == 3 == int(config["RDV_STREAM_REPLICAS"])
    conf = find(docs, "ConfigMap", "nats-config")["data"]["nats.conf"]
    assert re.search(r"jetstream\s*\{[^}]*store_dir", conf)
    routes = re.findall(r"nats://([a-z0-9-]+)\.([a-z-]+):6222", conf)
    assert routes == [(f"nats-{i}", sts["spec"]["serviceName"]) for i in range(3)]
    headless = find(docs, "Service", sts["spec"]["serviceName"])
    assert headless["spec"]["clusterIP"] == "None"
    host, port = re.fullmatch(r"nats://([a-z-]+):(\d+)", config["NATS_URL"]).groups()
    client = find(docs, "Service", host)
    assert matches({"matchLabels": client["spec"]["selector"]}, pod_labels(sts)) and int(port) == 4222
    assert find(docs, "PodDisruptionBudget", "nats")["spec"]["maxUnavailable"] == 1
    assert sts["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"


def test_containers_run_as_non_root_with_limits(docs):
    for d in docs:
        spec = pod_spec(d)
        if spec is None:
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True, d["metadata"]["name"]
        assert spec.get("automountServiceAccountToken") is False
        for c in containers(d):
            assert c["securityContext"]["allowPrivilegeEscalation"] is False
            assert c["securityContext"]["readOnlyRootFilesystem"] is True
            assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
            mounts = {m["name"] for m in c.get("volumeMounts", [])}
            volumes = {v["name"] for v in spec.get("volumes", [])} | {
                t["metadata"]["name"] for t in d["spec"].get("volumeClaimTemplates", [])}
            assert mounts <= volumes
            if c["image"].split(":")[0].endswith("rdv"):
                assert "/tmp" in {m["mountPath"] for m in c["volumeMounts"]}  # read-only root: /tmp is a volume
                assert spec["securityContext"]["runAsUser"] == 10001  # the Dockerfile's USER


def test_national_scales_the_creneaux_search_apart_from_notifications():
    docs = _build("national")
    hpa = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    assert hpa["availability"]["maxReplicas"] > hpa["notifications"]["maxReplicas"]
    assert hpa["availability"]["minReplicas"] > hpa["notifications"]["minReplicas"]
    assert all(d["spec"]["instances"] == 3 for d in docs if d["kind"] == "Cluster")
    assert _config(docs)["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
    base = {d["metadata"]["name"]: d["spec"] for d in _build("base") if d["kind"] == "HorizontalPodAutoscaler"}
    assert base != hpa


def test_every_replica_fits_in_its_database_connections(docs):
    """(pool + overflow + the outbox relay's own connection) x maxReplicas of each service stays within 90 % of
    its database's max_connections."""
    hpa = {d["metadata"]["name"]: d["spec"]["maxReplicas"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    clusters = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "Cluster"}
    for name in ALL:
        (c,) = pod_spec(find(docs, "Deployment", name))["containers"]
        env = _env(docs, c)
        per_pod = int(env[f"{name.upper()}_DB_POOL_SIZE"]) + int(env[f"{name.upper()}_DB_MAX_OVERFLOW"]) + 1
        limit = int(clusters[f"rdv-{name}-db"]["postgresql"]["parameters"]["max_connections"])
        assert per_pod * hpa[name] <= 0.9 * limit, (name, per_pod, hpa[name], limit)


def test_only_the_gateway_has_an_ingress(docs):
    ingresses = [d for d in docs if d["kind"] == "Ingress"]
    backends = {p["backend"]["service"]["name"] for i in ingresses for r in i["spec"]["rules"] for p in r["http"]["paths"]}
    assert backends == {"gateway"}
    assert all(d["spec"].get("type", "ClusterIP") == "ClusterIP" for d in docs if d["kind"] == "Service")


@pytest.mark.skipif(not shutil.which("kubectl"), reason="kubectl absent: the Python assembly alone is checked")
@pytest.mark.parametrize("variant", VARIANTS)
def test_python_assembly_matches_kubectl_kustomize(variant):
    path = K8S / "base" if variant == "base" else K8S / "overlays" / variant
    out = subprocess.run(["kubectl", "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr

    def key(d):
        return (d["kind"], d["metadata"]["name"])

    real = sorted((d for d in yaml.safe_load_all(out.stdout) if d), key=key)
    ours = sorted(_build(variant), key=key)
    assert [key(d) for d in real] == [key(d) for d in ours]
    for r, o in zip(real, ours):
        assert r == o, key(r)


def test_the_documented_settings_are_honoured_by_every_deployment():
    """Each variable of docs/operations.md's settings table is read by the code, and compose and Kubernetes do
    with it what the table's `deployments` column says."""
    from tests.deploy.manifests import DEPLOY, documented_settings

    settings = documented_settings()
    assert {"RDV_ENV", "RDV_NOW", "NATS_URL", "BOOKING_DATABASE_URL", "RDV_PLATFORM_KEY"} <= set(settings)
    assert set(settings.values()) <= {"set", "kubernetes", "optional", "never"}
    missing = set(settings) - env_names_read_by_code()
    assert not missing, f"documented but read by no code: {sorted(missing)}"
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    in_compose = {name for svc in compose.values() for name in svc.get("environment", {})}
    docs = _build("base")
    in_k8s = {name for d in docs for c in containers(d) for name in _env(docs, c)}
    for name, deployments in sorted(settings.items()):
        if deployments in ("set", "kubernetes"):
            assert name in in_k8s, f"Kubernetes does not set {name}"
        if deployments == "set":
            assert name in in_compose, f"compose does not set {name}"
        if deployments == "never":
            assert name not in in_compose | in_k8s, f"{name} is refused in production, yet a deployment sets it"


def test_the_contracts_operations_table_is_in_the_documented_settings():
    """The contract's Operations table (outside the repository: skipped in a plain clone) is a subset of the
    documented settings, each set by every deployment but RDV_NOW, which production refuses."""
    from tests.deploy.manifests import CONTRACT_API, contract_operations_names, documented_settings

    if not CONTRACT_API.exists():
        pytest.skip(f"the contract is not beside this checkout ({CONTRACT_API}); docs/operations.md is checked alone")
    table, settings = contract_operations_names(), documented_settings()
    assert {"RDV_ENV", "NATS_URL", "BOOKING_DATABASE_URL", "RDV_PLATFORM_KEY"} <= table
    assert not table - set(settings), f"in the contract, not in docs/operations.md: {sorted(table - set(settings))}"
    assert settings["RDV_NOW"] == "never"
    loose = {name for name in table - {"RDV_NOW"} if settings[name] != "set"}
    assert not loose, f"the contract names them, yet the deployments need not set them: {sorted(loose)}"
