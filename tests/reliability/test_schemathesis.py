"""schemathesis on the gateway's OpenAPI: thousands of generated requests (5 000+ in full mode),
no 5xx, every error in the contract's shape."""
import pytest

from tests.reliability.workload import record, size
from tests.support.fuzz import fuzz_gateway


@pytest.mark.timeout(3600)
def test_generated_requests_never_5xx(rel_system):
    org = rel_system.new_organisation()
    sent, failures = fuzz_gateway(rel_system.base_url, org.admin_token,
                                  positive=size(2, 50), negative=size(2, 45))
    record("schemathesis", requests=sent, failures=len(failures))
    assert not failures, "\n".join(list(dict.fromkeys(failures))[:20])
