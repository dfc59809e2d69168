"""Times the API is given: a time without a zone is UTC; one with an offset is converted to
UTC, as the registry stores and compares them."""

from datetime import UTC, datetime


def as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
