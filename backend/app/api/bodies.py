"""JSON request bodies parsed and validated in one step, for routes on the hot path.

FastAPI parses a declared body with `json.loads` into Python objects and then validates
those; pydantic-core can do both from the raw bytes at once with the schema's compiled
validator. A route that takes a raw `Request` uses `parse_json` and documents its body
itself (`openapi_extra`). Errors are the framework's `RequestValidationError`, with the
same `body` location prefix, so `problems.py` answers them like any other route's.
"""

from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from app.api.problems import is_json

Schema = TypeVar("Schema", bound=BaseModel)


async def parse_json(request: Request, schema: type[Schema]) -> Schema:
    if not is_json(request.headers.get("content-type")):  # problems.py says which is expected
        raise RequestValidationError(
            [
                {
                    "type": "content_type",
                    "loc": ("body",),
                    "msg": "the body must be JSON (Content-Type: application/json)",
                    "input": None,
                }
            ]
        )
    body = await request.body()
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(_in_body(exc), body=body) from None


def request_body(schema: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` that documents `schema` as the operation's JSON body."""
    content = {"application/json": {"schema": schema.model_json_schema()}}
    return {"requestBody": {"required": True, "content": content}}


def _in_body(exc: ValidationError) -> list[dict[str, Any]]:
    return [
        {**error, "loc": ("body", *error["loc"])}
        for error in exc.errors(include_url=False)  # its context: the pattern, for words
    ]
