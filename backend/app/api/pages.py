"""Pagination of the list routes: `limit` and `offset` in, the whole list's size out in
X-Total-Count, the body still a plain JSON list (so clients that read it need no change)."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response

from shared.schemas import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, TOTAL_COUNT_HEADER
from shared.schemas.strings import INT32_MAX


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def get_page(
    limit: Annotated[
        int, Query(ge=1, le=PAGE_LIMIT_MAX, description="Items in this page, at most 1,000")
    ] = PAGE_LIMIT_DEFAULT,
    offset: Annotated[
        int, Query(ge=0, le=INT32_MAX, description="Items of the whole list to skip")
    ] = 0,
) -> Page:
    return Page(limit=limit, offset=offset)


PageDep = Annotated[Page, Depends(get_page)]
TOTAL_HEADER_DOC = {
    TOTAL_COUNT_HEADER: {
        "description": "How many items the whole list has",
        "schema": {"type": "integer"},
    }
}


def set_total(response: Response, total: int) -> None:
    response.headers[TOTAL_COUNT_HEADER] = str(total)
