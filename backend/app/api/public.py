"""A registry record as its public schema says it, for the routes that build their own
JSONResponse (a status that depends on the outcome): a record is its schema's subclass
with where its files lie (`DatasetRecord.file`, `ModelRecord.artifact_file`), which
`model_validate` would keep, as it returns the record itself."""

from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter


@cache
def _adapter(schema: type[BaseModel]) -> TypeAdapter[Any]:
    return TypeAdapter(schema)


def public_json(schema: type[BaseModel], record: BaseModel) -> Any:
    """`record` as JSON with only the fields of `schema`."""
    return _adapter(schema).dump_python(record, mode="json")
