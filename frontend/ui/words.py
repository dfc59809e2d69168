"""Numbers in sentences people read, and what a table shows where a value is missing."""


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """ "1 model", "2 models", "1,000 tasks": the noun as the number wants it."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


# what a table shows where a value is missing (a cancelled model has no metrics), not "None"
MISSING = "—"
