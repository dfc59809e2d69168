"""Background work: a pool of spawned processes that train models."""
