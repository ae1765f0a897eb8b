"""The gateway's edge: pure ASGI middlewares every /api/v1 request crosses before (and after) its route.

Outermost first: security headers (every response), the audit (records every write, replays too),
`Idempotency-Key` (stored answers of writes), the refusal of NUL characters.
"""
from fastapi import FastAPI

from gateway.entrypoints.edge.audit import AuditWrites
from gateway.entrypoints.edge.idempotency import Idempotency
from gateway.entrypoints.edge.security import RefuseNul, SecurityHeaders


def install_middlewares(app: FastAPI) -> None:
    app.add_middleware(RefuseNul)  # added last: runs innermost
    app.add_middleware(Idempotency)
    app.add_middleware(AuditWrites)
    app.add_middleware(SecurityHeaders)
