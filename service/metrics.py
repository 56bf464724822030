"""Prometheus metrics of the service: one definition per metric, shared by every module.

Names follow Prometheus conventions: `trace_bridge_` prefix, base units in the name,
`_total` on counters. Labels have small, fixed value sets (product, error kind, endpoint,
status) so the series count stays bounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

NS = "trace_bridge"

# Tariff pipeline
events_received = Counter(f"{NS}_tariff_events_received_total", "Tariff events delivered by RabbitMQ.")
events_uploaded = Counter(
    f"{NS}_tariff_events_uploaded_total", "Tariff events uploaded to TRACE.", ["product"]
)
events_rejected = Counter(
    f"{NS}_tariff_events_rejected_total", "Tariff events TRACE rejected (400/422).", ["product"]
)
events_stale = Counter(
    f"{NS}_tariff_events_stale_total", "Tariff events skipped because a newer revision won.", ["product"]
)
events_duplicate = Counter(
    f"{NS}_tariff_events_duplicate_total", "Redelivered tariff events already settled."
)
events_dead_lettered = Counter(
    f"{NS}_tariff_events_dead_lettered_total", "Tariff events sent to the DLQ.", ["error_kind"]
)
events_retried = Counter(f"{NS}_tariff_events_retried_total", "Tariff events sent to a retry tier.", ["tier"])
upload_batch_size = Histogram(
    f"{NS}_upload_batch_size_offers",
    "Offers per TRACE upload request.",
    ["product"],
    buckets=(1, 2, 5, 10, 20, 50, 100),
)
upload_duration = Histogram(
    f"{NS}_upload_duration_seconds", "Duration of one TRACE upload including retries.", ["product"]
)
breaker_open = Gauge(f"{NS}_circuit_breaker_open", "1 while the TRACE upload circuit breaker is open.")

# TRACE client
trace_requests = Counter(f"{NS}_trace_requests_total", "HTTP requests to TRACE.", ["endpoint", "status"])
token_refreshes = Counter(f"{NS}_token_refreshes_total", "Successful TRACE logins.")
token_failures = Counter(f"{NS}_token_failures_total", "Failed TRACE logins.", ["reason"])
token_expiry = Gauge(f"{NS}_token_expires_in_seconds", "Seconds until the held TRACE token expires.")
token_waits = Counter(
    f"{NS}_token_waits_total", "Calls that had to wait for a TRACE login (no valid token held)."
)
rate_limit_waits = Counter(f"{NS}_rate_limit_waits_total", "Requests that waited for the CRM rate limit.")
rate_limit_wait_seconds = Counter(
    f"{NS}_rate_limit_wait_seconds_total", "Seconds spent waiting for the CRM rate limit."
)

# Lead poller
leads_published = Counter(f"{NS}_leads_published_total", "lead.created events confirmed by RabbitMQ.")
leads_updated = Counter(f"{NS}_leads_updated_total", "lead.updated events confirmed by RabbitMQ.")
leads_invalid = Counter(f"{NS}_leads_invalid_total", "Leads that did not fit the model.")
leads_unroutable = Counter(f"{NS}_leads_unroutable_total", "Lead events returned as unroutable.")
leads_seen = Counter(f"{NS}_leads_seen_total", "Leads read from TRACE.")
lead_pages = Counter(f"{NS}_lead_pages_total", "CRM pages read.")
poll_duration = Histogram(f"{NS}_lead_poll_duration_seconds", "Duration of one lead poll.")
lead_lag = Histogram(
    f"{NS}_lead_lag_seconds",
    "Age of a lead (since its last change) when its event was confirmed.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 86400),
)
poller_active = Gauge(f"{NS}_lead_poller_active", "1 while this replica holds the poller lease.")
lead_polls = Counter(
    f"{NS}_lead_polls_total",
    "Lead polls by outcome: complete, incomplete (some leads left for the next poll), failed, aborted.",
    ["outcome"],
)

# Broker
queue_messages = Gauge(f"{NS}_queue_messages", "Ready messages in a queue (passive declare).", ["queue"])
queue_consumers = Gauge(f"{NS}_queue_consumers", "Consumers on a queue (passive declare).", ["queue"])
amqp_connected = Gauge(f"{NS}_amqp_connected", "1 while the AMQP connection is open.")
