"""Pydantic schemas and enums shared by the backend and the frontend (depends on pydantic only)."""
