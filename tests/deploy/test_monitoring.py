"""deploy/k8s/monitoring: the PodMonitor scrapes every rdv pod, and the alert and recording rules only
use metrics and labels that shared/metrics.py really exposes."""
from __future__ import annotations

import re

from prometheus_client.metrics import MetricWrapperBase

from rdv.cli import ALL
from shared import metrics
from tests.deploy.manifests import K8S, build, find, matches, pod_labels, pod_spec

SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def _exposed() -> dict[str, set[str]]:
    """Sample name -> label names, for every metric object of shared/metrics.py."""
    exposed = {}
    for obj in vars(metrics).values():
        if isinstance(obj, MetricWrapperBase):
            for suffix in SUFFIXES[obj._type]:
                labels = set(obj._labelnames) | ({"le"} if suffix == "_bucket" else set())
                exposed[obj._name + suffix] = labels
    return exposed


def _rules() -> list[dict]:
    rules = find(build(K8S / "monitoring"), "PrometheusRule", "rdv")["spec"]["groups"]
    return [rule for group in rules for rule in group["rules"]]


def test_rules_use_only_exposed_metrics_and_labels():
    exposed = _exposed()
    assert {"rdv_consumer_pending", "rdv_notifications_total", "rdv_export_seconds_bucket"} <= set(exposed)
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    for rule in _rules():
        expr = rule["expr"]
        assert expr.count("(") == expr.count(")"), expr
        names = set(re.findall(r"\b(rdv_[a-z_]+)\b", expr))
        assert names, expr
        unknown = names - set(exposed)
        assert not unknown, f"{rule.get('alert') or rule.get('record')}: not exposed: {unknown}"
        labels = set().union(*(exposed[n] for n in names))
        used = set(re.findall(r"(\w+)\s*=~?\s*\"", expr))
        for clause in re.findall(r"by \(([^)]*)\)", expr):
            used |= {label.strip() for label in clause.split(",")}
        assert used <= labels, f"{rule.get('alert') or rule.get('record')}: labels {used - labels}"
        for label in re.findall(r"\$labels\.(\w+)", str(rule.get("annotations", {}))):
            assert label in used, f"{rule['alert']}: annotation uses {label}, which its expression drops"
    assert recorded and all(r.startswith("rdv:") for r in recorded)
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    assert {"RdvConsumerLagging", "RdvHttpErrors", "RdvHttpSlow", "RdvOutboxNotPublishing"} <= alerts


def test_podmonitor_scrapes_every_service_on_its_http_port():
    monitor = find(build(K8S / "monitoring"), "PodMonitor", "rdv")
    base = build(K8S / "base")
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert endpoint["path"] == "/metrics"
    for name in ALL:
        dep = find(base, "Deployment", name)
        assert matches(monitor["spec"]["selector"], pod_labels(dep))
        assert endpoint["port"] in {p["name"] for p in pod_spec(dep)["containers"][0]["ports"]}
