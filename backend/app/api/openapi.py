"""The OpenAPI document, telling the truth about errors: every one is problem+json."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.problems import MEDIA_TYPE
from shared.schemas import Problem

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERROR = {
    "description": "An error, as RFC 9457 problem details",
    "content": {MEDIA_TYPE: {"schema": _PROBLEM_REF}},
}


def install_openapi(app: FastAPI) -> None:
    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = _ERROR
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
