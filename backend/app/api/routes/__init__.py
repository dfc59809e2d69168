"""One router per resource: datasets, models, tasks, and the health and metrics probes."""
