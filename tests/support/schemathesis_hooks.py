"""Checks of our own for the schemathesis command line (loaded through SCHEMATHESIS_HOOKS; `--checks all`
runs them with the built-in ones)."""
from __future__ import annotations

import json

import schemathesis


@schemathesis.check
def contract_error_body(ctx, response, case):
    """Every 4xx carries the contract's error body: {"error": {code, message, details}}."""
    if not 400 <= response.status_code < 500:
        return None
    error = json.loads(response.text)["error"]
    assert isinstance(error["code"], str) and error["code"], "error.code: a non-empty string"
    assert isinstance(error["message"], str) and error["message"], "error.message: a French sentence"
    assert isinstance(error.get("details", {}), dict), "error.details: an object"
    return True
