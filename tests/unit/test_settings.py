"""Settings: the one place that reads the environment, and what production refuses."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from gateway.config import DEV_PLATFORM_KEY, GatewaySettings
from services.reporting.config import DEV_PSEUDONYM_KEY, ReportingSettings
from shared.settings import (DEV_INTERNAL_SECRET, EmbeddedSettings, PlatformSettings, ProcessSettings,
                             ProductionRefused, ServiceSettings, service_url)

ROOT = Path(__file__).resolve().parents[2]
# Copying the whole environment for a child process is not reading a setting.
HANDS_DOWN = {"rdv/supervisor.py"}
PROD = {"RDV_ENV": "production", "RDV_INTERNAL_SECRET": "s" * 32}


def _environment_reads(source: Path) -> list[int]:
    """Lines that touch os.environ / os.getenv / os.putenv."""
    tree = ast.parse(source.read_text(), str(source))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv", "environb")
            and isinstance(node.value, ast.Name) and node.value.id == "os"]


def test_only_the_settings_read_the_environment():
    reads = {}
    for package in ("shared", "gateway", "services", "rdv"):
        for source in (ROOT / package).rglob("*.py"):
            name = source.relative_to(ROOT).as_posix()
            if name not in HANDS_DOWN and (lines := _environment_reads(source)):
                reads[name] = lines
    assert reads == {}


def test_the_reader_sees_a_read():
    assert _environment_reads(ROOT / "rdv" / "supervisor.py")


def _env(monkeypatch, values: dict[str, str]) -> None:
    for name in ("RDV_ENV", "RDV_NOW", "RDV_INTERNAL_SECRET", "RDV_PLATFORM_KEY", "RDV_PSEUDONYM_KEY", "NATS_URL",
                 "NATS_TLS_CA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_development_runs_on_the_dev_defaults(monkeypatch):
    _env(monkeypatch, {"RDV_INTERNAL_SECRET": ""})  # empty counts as unset
    settings = PlatformSettings()
    assert (settings.env, settings.secret(), settings.nats_url) == ("dev", DEV_INTERNAL_SECRET, "nats://127.0.0.1:4222")
    ServiceSettings().check_production()
    assert GatewaySettings().platform_key == DEV_PLATFORM_KEY
    assert ReportingSettings().pseudonym_secret() == DEV_PSEUDONYM_KEY.encode()


def test_secrets_do_not_show_in_the_settings(monkeypatch):
    _env(monkeypatch, {**PROD, "RDV_PLATFORM_KEY": "k" * 32, "RDV_PSEUDONYM_KEY": "p" * 32})
    shown = repr(PlatformSettings()) + repr(GatewaySettings()) + repr(ReportingSettings())
    assert "s" * 32 not in shown and "k" * 32 not in shown and "p" * 32 not in shown


@pytest.mark.parametrize("values,why", [
    ({"RDV_ENV": "production"}, "RDV_INTERNAL_SECRET est obligatoire"),
    ({"RDV_ENV": "production", "RDV_INTERNAL_SECRET": DEV_INTERNAL_SECRET}, "secret interne de dev"),
    ({**PROD, "RDV_NOW": "2027-03-01T08:00:00+01:00"}, "RDV_NOW"),
    ({**PROD, "NATS_URL": "tls://nats:4222"}, "NATS_TLS_CA"),
])
def test_production_refuses_the_development_defaults(monkeypatch, values, why):
    _env(monkeypatch, values)
    with pytest.raises(ProductionRefused, match=why):
        ServiceSettings().check_production()


def test_production_starts_with_real_secrets(monkeypatch, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-")
    _env(monkeypatch, {**PROD, "NATS_URL": "tls://nats:4222", "NATS_TLS_CA": str(ca),
                       "RDV_PLATFORM_KEY": "k" * 32, "RDV_PSEUDONYM_KEY": "p" * 32})
    GatewaySettings().check_production()
    ReportingSettings().check_production()
    assert PlatformSettings().secret() == "s" * 32


@pytest.mark.parametrize("cls,values,why", [
    (GatewaySettings, {}, "RDV_PLATFORM_KEY est obligatoire"),
    (GatewaySettings, {"RDV_PLATFORM_KEY": DEV_PLATFORM_KEY}, "clé de plateforme de dev"),
    (ReportingSettings, {}, "RDV_PSEUDONYM_KEY est obligatoire"),
    (ReportingSettings, {"RDV_PSEUDONYM_KEY": DEV_PSEUDONYM_KEY}, "clé de pseudonymes de dev"),
])
def test_production_refuses_a_service_s_dev_keys(monkeypatch, cls, values, why):
    _env(monkeypatch, {**PROD, **values})
    with pytest.raises(ProductionRefused, match=why):
        cls().check_production()


def test_each_process_reads_its_own_prefix(monkeypatch):
    monkeypatch.setenv("BOOKING_URL", "http://booking-a:8102,http://booking-b:8102/")
    monkeypatch.setenv("USAGERS_PORT", "9103")
    monkeypatch.setenv("RDV_PORT", "9000")
    monkeypatch.setenv("GATEWAY_DATABASE_URL", "postgresql://gw")
    monkeypatch.delenv("AVAILABILITY_URL", raising=False)
    monkeypatch.delenv("AVAILABILITY_PORT", raising=False)
    assert service_url("booking") == "http://booking-a:8102,http://booking-b:8102"
    assert service_url("usagers") == "http://127.0.0.1:9103"
    assert service_url("availability") == "http://127.0.0.1:8101"
    assert ProcessSettings.listening("gateway").listen_port("gateway") == 9000
    assert ProcessSettings.of("gateway").database_url == "postgresql://gw"


def test_rdv_up_defaults(monkeypatch):
    for name in ("RDV_PG_PORT", "RDV_NATS_PORT", "RDV_NATS_CLUSTER", "RDV_SEED"):
        monkeypatch.delenv(name, raising=False)
    assert EmbeddedSettings().model_dump() == {"pg_port": 54329, "nats_port": 4222, "nats_cluster": 1, "seed": "demo"}
