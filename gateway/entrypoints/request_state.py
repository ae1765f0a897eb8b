"""What one request carries from layer to layer of the gateway, in its ASGI scope.

The edge middlewares run before FastAPI has a route for the request and look at the scope again after
the route answered (the audit): these keys are how the two sides meet, named once here.
"""
CALLER_KEY = "rdv.caller"  # the session lookup's outcome: (Principal, known agent ids) or the Unauthorized
PRINCIPAL_KEY = "rdv.principal"  # the caller, once authenticated and past the CSRF check
AGENTS_KEY = "rdv.agents_checked"  # (agent ids named by the body, those of them in the organisation)
POSITIONS_KEY = "rdv.read_positions"  # the organisation's read positions (reads after writes)
ORGANISATION_KEY = "rdv.organisation_id"  # the organisation of a public request (no principal), for the audit
REPLAYED_KEY = "rdv.replayed"  # the answer is a stored Idempotency-Key response
CLOSING_KEY = "rdv.closing"  # what a write leaves to store before its answer leaves (service_layer.closing)
