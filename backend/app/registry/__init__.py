"""The store of datasets, models and tasks: an interface and its SQL implementation."""
