"""Use cases (no FastAPI): datasets, training, models, predictions, evaluation, defaults."""
