"""The NATS servers of compose and Kubernetes refuse anonymous clients with the users of shared/natsauth.py,
each service connecting as its own user with its password from a secret."""
from __future__ import annotations

import yaml

from shared import natsauth
from tests.deploy.manifests import DEPLOY, K8S, containers, find, load_all

SERVICES = ("gateway", "availability", "booking", "usagers", "notifications", "reporting")


def test_the_deployed_authorization_is_the_generated_one():
    assert (DEPLOY / "nats" / "auth.conf").read_text() == natsauth.deploy_config()
    config = find(load_all(K8S / "base" / "nats.yaml"), "ConfigMap", "nats-config")["data"]
    assert config["auth.conf"] == natsauth.deploy_config()
    assert "include ./auth.conf" in config["nats.conf"]
    for user in natsauth.USERS:
        assert f"password: ${natsauth.password_variable(user)}" in config["auth.conf"]


def test_compose_gives_each_service_its_nats_user_and_the_server_every_password():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert "/etc/nats/auth.conf" in compose["nats"]["command"]
    assert "./nats/auth.conf:/etc/nats/auth.conf:ro" in compose["nats"]["volumes"]
    assert set(compose["nats"]["environment"]) == {natsauth.password_variable(u) for u in natsauth.USERS}
    for name in SERVICES:
        env = compose[name]["environment"]
        assert env["NATS_USER"] == name
        assert env["NATS_PASSWORD"].startswith(f"${{NATS_PASSWORD_{name.upper()}:?")


def test_kubernetes_gives_each_service_its_nats_user_from_the_secret():
    nats = find(load_all(K8S / "base" / "nats.yaml"), "StatefulSet", "nats")
    assert {"secretRef": {"name": "rdv-nats"}} in containers(nats)[0]["envFrom"]
    secret = find(load_all(K8S / "base" / "secret.example.yaml"), "Secret", "rdv-nats")
    assert set(secret["stringData"]) == {natsauth.password_variable(u) for u in natsauth.USERS}
    for name in SERVICES:
        deployment = find(load_all(K8S / "base" / f"{name}.yaml"), "Deployment", name)
        env = {e["name"]: e for e in containers(deployment)[0]["env"]}
        assert env["NATS_USER"]["value"] == name
        assert env["NATS_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "rdv-nats", "key": f"NATS_PASSWORD_{name.upper()}"}
