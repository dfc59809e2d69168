"""What the API client's calls by resource share: the part of `ApiClient` they call on
`self` (`Transport`, so that each mixin typechecks alone), and the paths and query
parameters more than one of them builds."""

from datetime import datetime
from typing import IO, Any, Protocol
from urllib.parse import quote

import httpx

from shared.csv_encodings import DEFAULT_DELIMITER, DEFAULT_ENCODING

API = "/api/v1"
Upload = bytes | IO[bytes]


class Transport(Protocol):
    def _request(
        self, method: str, path: str, *, long: bool = False, **kwargs: Any
    ) -> httpx.Response: ...

    @staticmethod
    def _parse(schema: Any, response: httpx.Response) -> Any: ...


def model_path(ref: str) -> str:
    """A model's path by id, `name@alias` or `name:version` (the name percent-encoded)."""
    return f"{API}/models/{quote(ref, safe='@:')}"


def query_params(**values: object) -> dict[str, str]:
    """Query parameters: the ones given, times in ISO 8601."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else str(value)
        for key, value in values.items()
        if value is not None
    }


def csv_format_fields(encoding: str, delimiter: str) -> dict[str, str]:
    """The `encoding` and `delimiter` form fields of a CSV upload; none for the defaults
    (UTF-8, commas)."""
    fields = {}
    if encoding != DEFAULT_ENCODING:
        fields["encoding"] = encoding
    if delimiter != DEFAULT_DELIMITER:
        fields["delimiter"] = delimiter
    return fields
