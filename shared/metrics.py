"""Prometheus metrics shared by every service (exposed at /metrics)."""
from prometheus_client import Counter, Gauge, Histogram

http_latency = Histogram("rdv_http_request_seconds", "HTTP request latency",
                         ["service", "method", "route", "status"],
                         buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
events_published = Counter("rdv_events_published_total", "Events published from the outbox", ["service"])
events_consumed = Counter("rdv_events_consumed_total", "Events applied by a consumer", ["consumer", "result"])
consumer_lag = Gauge("rdv_consumer_pending", "Messages pending for a durable consumer", ["consumer"])
outbox_backlog = Gauge("rdv_outbox_backlog", "Outbox rows not yet published", ["service"])
