"""schemathesis over the gateway's /openapi.json, shared by the e2e check and the reliability suite."""
from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

SKIPPED = {("POST", "/api/v1/auth/logout")}  # would end the session the other cases use


def check_answer(case, resp) -> None:
    """No 5xx; every 4xx in the contract's error shape."""
    where = f"{case.method} {case.formatted_path} {case.query} {case.body!r:.300} -> {resp.status_code}: {resp.text[:300]}"
    assert resp.status_code < 500, where
    if 400 <= resp.status_code < 500:
        body = json.loads(resp.text)
        error = body["error"]
        assert isinstance(error["code"], str) and error["code"], where
        assert isinstance(error["message"], str) and error["message"], where
        assert isinstance(error.get("details", {}), dict), where


def fuzz_gateway(base_url: str, token: str, *, positive: int, negative: int,
                 derandomize: bool = False) -> tuple[int, list[str]]:
    """Send `positive` + `negative` generated cases per operation; return (requests sent, failures)."""
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
    auth = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode, count in ((GenerationMode.POSITIVE, positive), (GenerationMode.NEGATIVE, negative)):
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception:  # some operations have no negative variant
                continue

            @settings(max_examples=count, deadline=None, database=None, derandomize=derandomize,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case):
                nonlocal sent
                sent += 1
                resp = case.call(base_url=base_url, headers=auth, timeout=30)
                try:
                    check_answer(case, resp)
                except (AssertionError, ValueError, KeyError, TypeError) as exc:
                    failures.append(repr(exc))

            try:
                run()
            except Unsatisfiable:  # nothing to generate in this mode (e.g. no parameters to break)
                pass
    return sent, failures
