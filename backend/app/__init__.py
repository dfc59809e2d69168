"""The FastAPI backend: `create_app()` in main.py, `python -m app` to serve it."""
