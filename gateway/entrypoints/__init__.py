"""HTTP entrypoints of the gateway, by concern (the web UI's pages are in gateway.web):

- `edge/`: ASGI middlewares every request crosses (security headers, audit, Idempotency-Key, NUL refusal);
- `auth/`: the caller's credentials (one reader), the dependencies that authenticate, login/logout/me;
- `directory/`: the organisation, its services and agents, the audit log (the gateway's own data);
- `proxy/`: routes forwarded to the services with the caller's signed identity, and public booking;
- `calendar_feed`: the agents' iCalendar feeds; `openapi`: /openapi.json as clients read it.
"""
