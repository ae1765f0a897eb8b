"""NetworkPolicies, evaluated: who can open a TCP connection to whom, from the assembled manifests.

Kubernetes semantics: a pod selected by a policy of a type (Ingress/Egress) only allows what one
of those policies allows; a connection needs the sender's egress AND the receiver's ingress.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pytest

from rdv.cli import ALL
from shared.settings import DEFAULT_PORTS
from tests.deploy.manifests import K8S, OVERLAYS, build, matches, pod_labels

NS = "rdv"


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str | None  # None: outside the cluster
    labels: tuple = ()
    ip: str = "10.1.2.3"

    @property
    def label_dict(self) -> dict:
        return dict(self.labels)


def _pod(name: str, labels: dict, namespace: str = NS, ip: str = "10.1.2.3") -> Endpoint:
    return Endpoint(name, namespace, tuple(sorted(labels.items())), ip)


@dataclass
class Network:
    policies: list[dict]
    pods: dict[str, Endpoint] = field(default_factory=dict)

    def _selected(self, ep: Endpoint, kind: str) -> list[dict]:
        if ep.namespace != NS:
            return []
        return [p for p in self.policies if kind in p["spec"]["policyTypes"]
                and matches(p["spec"]["podSelector"], ep.label_dict)]

    @staticmethod
    def _peer_matches(peer: dict, other: Endpoint) -> bool:
        if "ipBlock" in peer:
            if other.namespace is not None:
                return False  # pod-to-pod traffic is matched by selectors here, never by an ipBlock
            ip = ipaddress.ip_address(other.ip)
            block = peer["ipBlock"]
            return ip in ipaddress.ip_network(block["cidr"]) and not any(
                ip in ipaddress.ip_network(e) for e in block.get("except", []))
        if other.namespace is None:
            return False
        if "namespaceSelector" in peer:
            ns_labels = {"kubernetes.io/metadata.name": other.namespace}
            if not matches(peer["namespaceSelector"], ns_labels):
                return False
        elif other.namespace != NS:
            return False
        return matches(peer.get("podSelector", {}), other.label_dict)

    @staticmethod
    def _port_matches(rule: dict, port: int, protocol: str) -> bool:
        ports = rule.get("ports")
        return not ports or any(p.get("protocol", "TCP") == protocol and p.get("port") == port for p in ports)

    def _allowed(self, ep: Endpoint, other: Endpoint, port: int, protocol: str, kind: str) -> bool:
        policies = self._selected(ep, kind)
        if not policies:
            return True
        key, peers_key = ("ingress", "from") if kind == "Ingress" else ("egress", "to")
        for policy in policies:
            for rule in policy["spec"].get(key, []):
                peers = rule.get(peers_key)
                if (peers is None or any(self._peer_matches(p, other) for p in peers)) \
                        and self._port_matches(rule, port, protocol):
                    return True
        return False

    def can(self, src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> bool:
        return (self._allowed(src, dst, port, protocol, "Egress")
                and self._allowed(dst, src, port, protocol, "Ingress"))


def _network(docs: list[dict]) -> tuple[Network, dict[str, Endpoint]]:
    pods: dict[str, Endpoint] = {}
    for d in docs:
        if d["kind"] in ("Deployment", "StatefulSet", "Job"):
            pods[d["metadata"]["name"]] = _pod(d["metadata"]["name"], pod_labels(d))
        if d["kind"] == "Cluster":  # CloudNativePG labels its instances with cnpg.io/cluster
            service = d["metadata"]["name"].removeprefix("rdv-").removesuffix("-db")
            pods[f"pg-{service}"] = _pod(f"pg-{service}", {"cnpg.io/cluster": d["metadata"]["name"]})
    pods["outsider"] = _pod("outsider", {"app": "something"}, namespace="default")
    pods["ingress-controller"] = _pod("ingress-controller", {"app.kubernetes.io/name": "ingress-nginx"},
                                      namespace="ingress-nginx")
    pods["prometheus"] = _pod("prometheus", {"app": "prometheus"}, namespace="monitoring")
    pods["kube-dns"] = _pod("kube-dns", {"k8s-app": "kube-dns"}, namespace="kube-system")
    pods["operator"] = _pod("operator", {"app": "cnpg"}, namespace="cnpg-system")
    pods["internet"] = Endpoint("internet", None, (), "203.0.113.7")
    pods["smtp"] = Endpoint("smtp", None, (), "198.51.100.25")
    pods["private-host"] = Endpoint("private-host", None, (), "192.168.1.10")
    return Network([d for d in docs if d["kind"] == "NetworkPolicy"], pods), pods


@pytest.fixture(scope="module", params=["base", *OVERLAYS])
def net(request):
    path = K8S / "base" if request.param == "base" else K8S / "overlays" / request.param
    return _network(build(path))


SERVICES = [s for s in ALL if s != "gateway"]


def test_default_deny_covers_every_pod(net):
    network, pods = net
    for name in (*ALL, "rdv-migrate", "nats"):
        assert network._selected(pods[name], "Ingress") and network._selected(pods[name], "Egress"), name


def test_only_the_gateway_is_reachable_from_outside(net):
    network, pods = net
    for src in ("outsider", "ingress-controller", "internet"):
        assert network.can(pods[src], pods["gateway"], 8000)
        for name in SERVICES:
            assert not network.can(pods[src], pods[name], DEFAULT_PORTS[name]), (src, name)
        assert not network.can(pods[src], pods["nats"], 4222)
        assert not network.can(pods[src], pods["pg-booking"], 5432)


def test_services_only_from_the_gateway_and_availability_from_booking(net):
    network, pods = net
    for name in SERVICES:
        assert network.can(pods["gateway"], pods[name], DEFAULT_PORTS[name]), name
        for other in SERVICES:
            allowed = name == "availability" and other == "booking"
            assert network.can(pods[other], pods[name], DEFAULT_PORTS[name]) is allowed, (other, name)
    assert not network.can(pods["gateway"], pods["booking"], 5432)


def test_each_service_reaches_nats_and_only_its_own_database(net):
    network, pods = net
    for name in ALL:
        assert network.can(pods[name], pods["nats"], 4222), name
        for other in ALL:
            assert network.can(pods[name], pods[f"pg-{other}"], 5432) is (name == other), (name, other)
        assert network.can(pods["rdv-migrate"], pods[f"pg-{name}"], 5432)
        assert network.can(pods[name], pods["kube-dns"], 53, "UDP")


def test_infrastructure_paths(net):
    network, pods = net
    assert network.can(pods["nats"], pods["nats"], 6222)  # JetStream cluster routes
    assert not network.can(pods["booking"], pods["nats"], 6222)
    assert network.can(pods["pg-booking"], pods["pg-booking"], 5432)  # replication
    assert network.can(pods["operator"], pods["pg-booking"], 8000)
    for name in ALL:
        assert network.can(pods["prometheus"], pods[name], DEFAULT_PORTS[name])  # /metrics


def test_only_notifications_reaches_smtp_and_sms_outside(net):
    network, pods = net
    assert network.can(pods["notifications"], pods["smtp"], 587)
    assert network.can(pods["notifications"], pods["internet"], 443)
    assert not network.can(pods["notifications"], pods["private-host"], 587)
    for name in ALL:
        if name != "notifications":
            assert not network.can(pods[name], pods["smtp"], 587), name
