"""Prometheus metrics. Labels never carry a pseudonym, a site name or any text."""

from prometheus_client import Counter, Histogram

MESSAGES_IN = Counter("heard_messages_in_total", "Inbound messages handled", ["channel"])
MESSAGES_OUT = Counter("heard_messages_out_total", "Replies and outbox messages sent", ["channel"])
FLOW_STARTS = Counter("heard_flow_starts_total", "Flow runs started", ["flow"])
FLOW_COMPLETIONS = Counter("heard_flow_completions_total", "Flow runs ended", ["flow", "reason"])
SAFEGUARDING_ALERTS = Counter(
    "heard_safeguarding_alerts_total", "Crisis words seen (no text kept)", ["category"]
)
REQUEST_LATENCY = Histogram(
    "heard_request_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
