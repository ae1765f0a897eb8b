"""schemathesis on the gateway's OpenAPI: thousands of generated requests (5 000+ in full mode),
no 5xx, every error in the contract's shape."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
import schemathesis

from tests.e2e.test_gateway_schemathesis import SKIPPED, _check
from tests.reliability.workload import record, size


@pytest.mark.timeout(3600)
def test_generated_requests_never_5xx(rel_system):
    org = rel_system.new_organisation()
    schema = schemathesis.openapi.from_url(rel_system.base_url + "/openapi.json")
    auth = {"Authorization": f"Bearer {org.admin_token}"}
    per_mode = {GenerationMode.POSITIVE: size(2, 50), GenerationMode.NEGATIVE: size(2, 45)}
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode, count in per_mode.items():
            try:
                strategy = operation.as_strategy(generation_mode=mode)
            except Exception:
                continue

            @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case):
                nonlocal sent
                sent += 1
                resp = case.call(base_url=rel_system.base_url, headers=auth, timeout=30)
                try:
                    _check(case, resp)
                except (AssertionError, ValueError, KeyError, TypeError) as exc:
                    failures.append(repr(exc))

            try:
                run()
            except Unsatisfiable:
                pass
    record("schemathesis", requests=sent, failures=len(failures))
    assert not failures, "\n".join(list(dict.fromkeys(failures))[:20])
