"""/healthz, /readyz and /metrics: what the orchestrator and Prometheus ask every process."""
from __future__ import annotations

import contextlib
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import clock, metrics


def install_probes(app: FastAPI, runtime) -> None:
    """The probes of `runtime` (a `shared.service.ServiceRuntime`), as routes of the app itself."""

    @app.get("/healthz", include_in_schema=False)
    async def healthz():
        return {"status": "ok", "service": runtime.name, "now": clock.now().isoformat()}

    @app.get("/readyz", include_in_schema=False)
    async def readyz():
        checks = await runtime.readiness()
        ok = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ok" if ok else "unavailable", **checks},
                            status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def prometheus():
        if runtime.relay:
            with contextlib.suppress(Exception):
                metrics.outbox_backlog.labels(runtime.name).set(await runtime.relay.backlog())
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
