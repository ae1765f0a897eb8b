"""Who is calling: credentials (bearer token or session cookie), the FastAPI dependencies that
authenticate a request, and the login, logout and bootstrap routes."""
from gateway.entrypoints.auth import routes  # noqa: F401,E402
