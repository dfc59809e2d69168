"""The OpenAPI document, telling the truth about errors: every one is problem+json."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.problems import MEDIA_TYPE
from app.api.security import PROTECTED_PREFIX
from shared.schemas import Problem

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "The API_TOKEN the server was started with (when it was started with one)",
}
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
        schema.setdefault("components", {})["securitySchemes"] = {"BearerToken": _BEARER}
        components = schema["components"].setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["Problem"] = problem
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, path_item in schema.get("paths", {}).items():
            for operation in path_item.values():
                if path.startswith(PROTECTED_PREFIX):  # api/security.py's RequestGate
                    operation["security"] = [{"BearerToken": []}]
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = _ERROR
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
