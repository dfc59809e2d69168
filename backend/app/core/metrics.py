"""Prometheus metrics: requests, predictions, the prediction log, tasks by status, loaded
models."""

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
    "textclf_predictions_total",
    "Texts predicted (predict and predict_csv)",
    ["model_id", "segment"],
    registry=REGISTRY,
)
PREDICTION_LOG_WRITTEN = Counter(
    "textclf_prediction_log_written_total", "Predictions written to the log", registry=REGISTRY
)
PREDICTION_LOG_DROPPED = Counter(
    "textclf_prediction_log_dropped_total",
    "Predictions left out of the log: its queue was full, or their batch failed to write",
    ["reason"],
    registry=REGISTRY,
)
TASKS = Gauge("textclf_tasks", "Tasks by status", ["status"], registry=REGISTRY)
LOADED_MODELS = Gauge("textclf_loaded_models", "Models held in memory", registry=REGISTRY)
