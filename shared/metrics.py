"""Prometheus metrics shared by every service (exposed at /metrics)."""
from prometheus_client import Counter, Gauge, Histogram

http_latency = Histogram("rdv_http_request_seconds", "HTTP request latency",
                         ["service", "method", "route", "status"],
                         buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
events_published = Counter("rdv_events_published_total", "Events published from the outbox", ["service"])
events_consumed = Counter("rdv_events_consumed_total", "Events applied by a consumer", ["consumer", "result"])
consumer_lag = Gauge("rdv_consumer_pending", "Messages pending for a durable consumer", ["consumer"])
outbox_backlog = Gauge("rdv_outbox_backlog", "Outbox rows not yet published", ["service"])
consumer_ack_pending = Gauge("rdv_consumer_ack_pending", "Messages delivered to a durable consumer, not yet acked",
                             ["consumer"])

# notifications: one increment per message handled; result = sent | failed | skipped
notifications = Counter("rdv_notifications_total", "Notifications by channel, kind and result",
                        ["channel", "kind", "result"])
notification_send_seconds = Histogram("rdv_notification_send_seconds",
                                      "Time to hand one message to its channel (SMTP, SMS provider)", ["channel"],
                                      buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

# exports: one observation per job, from start to file ready (result = ready | failed)
export_seconds = Histogram("rdv_export_seconds", "Duration of an export job", ["kind", "result"],
                           buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
export_rows = Counter("rdv_export_rows_total", "Rows written to export files", ["kind"])
