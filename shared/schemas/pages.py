"""Pagination of the list routes (GET /datasets, /models, /tasks)."""

PAGE_LIMIT_DEFAULT = 100
PAGE_LIMIT_MAX = 1_000
# the number of items in the whole list; the body stays a JSON list
TOTAL_COUNT_HEADER = "X-Total-Count"
