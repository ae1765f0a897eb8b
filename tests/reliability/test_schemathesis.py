"""schemathesis on the gateway's OpenAPI with every check (`st run --checks all`): examples, boundary
values (coverage phase) and generated requests, thousands in full mode; 0 failures."""
import pytest

from tests.reliability.workload import FULL, record, size
from tests.support.fuzz import run_schemathesis


@pytest.mark.timeout(3600)
def test_every_check_passes_on_generated_requests(rel_system):
    org = rel_system.new_organisation()
    phases = "examples,coverage,fuzzing" if FULL else "fuzzing"
    cases, failures, output = run_schemathesis(rel_system.base_url, org.admin_token, phases=phases,
                                               max_examples=size(2, 50))
    record("schemathesis", checks="all", phases=phases, cases=cases, failures=len(failures))
    assert cases > 0, output[-3000:]
    assert not failures, "\n".join(failures[:20]) + "\n" + output[-6000:]
