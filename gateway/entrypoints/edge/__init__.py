"""The gateway's edge: pure ASGI middlewares every /api/v1 request crosses before (and after) its route.

Outermost first: security headers (every response), the edge of writes (holds a write's answer until its
audit row, read positions and Idempotency-Key answer are stored, in one statement), `Idempotency-Key`
(claims the key, answers repeats), the refusal of NUL characters.
"""
from fastapi import FastAPI

from gateway.entrypoints.edge.closing import CloseWrites
from gateway.entrypoints.edge.idempotency import Idempotency
from gateway.entrypoints.edge.security import RefuseNul, SecurityHeaders


def install_middlewares(app: FastAPI) -> None:
    app.add_middleware(RefuseNul)  # added last: runs innermost
    app.add_middleware(Idempotency)
    app.add_middleware(CloseWrites)
    app.add_middleware(SecurityHeaders)
