"""What every service's FastAPI app shares: error bodies, request tracing, probes."""
