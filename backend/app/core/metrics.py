"""Prometheus metrics: requests, predictions, tasks by status, loaded models."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry()

REQUESTS = Counter(
    "textclf_http_requests_total",
    "HTTP requests",
    ["method", "route", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "textclf_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
PREDICTIONS = Counter(
    "textclf_predictions_total", "Texts predicted", ["model_id"], registry=REGISTRY
)
TASKS = Gauge("textclf_tasks", "Tasks by status", ["status"], registry=REGISTRY)
LOADED_MODELS = Gauge("textclf_loaded_models", "Models held in memory", registry=REGISTRY)
