"""Pure machine learning: no web, no database. Everything here can run in a worker process."""
