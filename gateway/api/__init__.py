"""HTTP entrypoints of the gateway: /api/v1 routers, middlewares, dev inbox."""
