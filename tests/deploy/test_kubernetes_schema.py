"""Every built-in Kubernetes object of the assembled manifests fits the API's schema (field names and
value types from the official Python client's models): a misspelt field, a number where the API wants a
string (ConfigMap data, labels, annotations, env values) fails here instead of at `kubectl apply`."""
from __future__ import annotations

import datetime

import kubernetes.client as k8s
import pytest

from tests.deploy.manifests import K8S, OVERLAYS, build

CUSTOM = {"postgresql.cnpg.io/v1", "monitoring.coreos.com/v1"}  # CRDs: their operators validate them
PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float), "datetime": (str, datetime.datetime),
              "date": (str, datetime.date)}


def _model(api_version: str, kind: str):
    version = api_version.split("/")[-1]
    cls = getattr(k8s, f"{version[0].upper()}{version[1:]}{kind}", None)
    assert cls is not None, f"no schema for {api_version} {kind}"
    return cls


def _check(value, type_name: str, path: str, errors: list[str]) -> None:
    if value is None or type_name == "object":
        return
    if type_name.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{path}: a list is expected")
            return
        for i, item in enumerate(value):
            _check(item, type_name[5:-1], f"{path}[{i}]", errors)
        return
    if type_name.startswith(("dict(", "dict[")):
        if not isinstance(value, dict):
            errors.append(f"{path}: a mapping is expected")
            return
        inner = type_name[5:-1].split(", ", 1)[1]
        for key, item in value.items():
            _check(item, inner, f"{path}.{key}", errors)
        return
    if type_name in PRIMITIVES:
        wanted = PRIMITIVES[type_name]
        if not isinstance(value, wanted) or (type_name == "int" and isinstance(value, bool)):
            errors.append(f"{path}: {type_name} expected, got {value!r}")
        return
    cls = getattr(k8s, type_name)
    if not isinstance(value, dict):
        errors.append(f"{path}: an object ({type_name}) is expected")
        return
    fields = {json_key: cls.openapi_types[attr] for attr, json_key in cls.attribute_map.items()}
    for key, item in value.items():
        if key not in fields:
            errors.append(f"{path}.{key}: no such field in {type_name}")
        else:
            _check(item, fields[key], f"{path}.{key}", errors)


@pytest.mark.parametrize("variant", ["base", *OVERLAYS, "monitoring"])
def test_manifests_fit_the_kubernetes_api_schema(variant):
    path = K8S / variant if variant in ("base", "monitoring") else K8S / "overlays" / variant
    checked = 0
    errors: list[str] = []
    for doc in build(path):
        if doc["apiVersion"] in CUSTOM:
            continue
        cls = _model(doc["apiVersion"], doc["kind"])
        _check(doc, cls.__name__, f"{doc['kind']}/{doc['metadata']['name']}", errors)
        checked += 1
    assert not errors, "\n".join(errors)
    assert checked >= (0 if variant == "monitoring" else 50)


def test_the_schema_check_catches_mistakes():
    errors: list[str] = []
    _check({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"REPLICAS": 3}},
           "V1ConfigMap", "ConfigMap/x", errors)
    _check({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "readinesProbe": {}}]}}}},
           "V1Deployment", "Deployment/x", errors)
    assert errors == ["ConfigMap/x.data.REPLICAS: str expected, got 3",
                      "Deployment/x.spec.template.spec.containers[0].readinesProbe: no such field in V1Container"]
