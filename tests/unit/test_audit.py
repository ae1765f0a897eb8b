"""`make audit` never reports as clean an audit that could not reach its vulnerability database."""
from __future__ import annotations

import json
import subprocess

from rdv import audit


def _fake(monkeypatch, stdout: str = "", stderr: str = "", code: int = 0):
    monkeypatch.setattr(audit, "_run", lambda args: subprocess.CompletedProcess(args, code, stdout, stderr))


def test_every_package_skipped_is_unreachable_not_clean(monkeypatch):
    deps = [{"name": "httpx", "version": "0.28.1", "skip_reason": "Dependency not found on PyPI"}]
    _fake(monkeypatch, json.dumps({"dependencies": deps, "fixes": []}))
    code, message = audit.python_audit()
    assert code == audit.UNREACHABLE and "NON auditées" in message


def test_a_network_error_is_unreachable(monkeypatch):
    _fake(monkeypatch, "", "requests.exceptions.ConnectionError: Max retries exceeded", 1)
    assert audit.python_audit()[0] == audit.UNREACHABLE
    _fake(monkeypatch, json.dumps({"error": {"code": "E405"}}), "npm error audit endpoint returned an error", 1)
    assert audit.npm_audit()[0] == audit.UNREACHABLE


def test_vulnerabilities_and_a_clean_audit(monkeypatch):
    deps = [{"name": "jinja2", "version": "2.0", "vulns": [{"id": "PYSEC-1"}]},
            {"name": "httpx", "version": "0.28.1", "vulns": []}]
    _fake(monkeypatch, json.dumps({"dependencies": deps}))
    code, message = audit.python_audit()
    assert code == audit.VULNERABLE and "jinja2 2.0: PYSEC-1" in message
    _fake(monkeypatch, json.dumps({"dependencies": deps[1:]}))
    assert audit.python_audit()[0] == audit.OK
    _fake(monkeypatch, json.dumps({"metadata": {"vulnerabilities": {"high": 1, "total": 1}}}), code=1)
    assert audit.npm_audit()[0] == audit.VULNERABLE
    _fake(monkeypatch, json.dumps({"metadata": {"vulnerabilities": {"high": 0, "total": 0}}}))
    assert audit.npm_audit()[0] == audit.OK
