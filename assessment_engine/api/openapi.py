"""The OpenAPI 3.1 document, generated with apispec from the declared operations and their
marshmallow schemas, and the documentation page (Swagger UI from the installed npm package)."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from .http import PROBLEM_JSON, Operation
from .problems import _TITLES
from .schemas import ProblemSchema
from .tokens import SCOPES

API_VERSION = "1.0.0"

_PARAMETER_DOCS = {
    "key": "The questionnaire's key, e.g. joint-assessment.",
    "version": "The questionnaire version number.",
    "client_id": "The record's opaque id.",
    "assessment_id": "The assessment's opaque id.",
    "referral_id": "The referral's opaque id.",
}


def _schema_name(plugin_schema: Any) -> str:
    name = (
        plugin_schema.__name__ if isinstance(plugin_schema, type) else type(plugin_schema).__name__
    )
    return name.removesuffix("Schema") or name


def build_spec(app: Flask, operations: list[Operation]) -> dict[str, Any]:
    """The whole document (built once per app and kept)."""
    spec = APISpec(
        title=f"{app.config['SERVICE_NAME']} API",
        version=API_VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": (
                "The JSON API for partner systems (GP, council and hospital systems): submit "
                "assessments and get the routing decision, read records and referrals, and "
                "exchange FHIR R4 Questionnaire and QuestionnaireResponse. Errors are "
                "application/problem+json (RFC 9457) with JSON Pointers."
            )
        },
    )
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "An API client's token. Scopes: " + ", ".join(SCOPES),
        },
    )
    spec.components.schema("Problem", schema=ProblemSchema)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    for path, methods in paths.items():
        spec.path(path=path, operations=methods, parameters=_path_parameters(path))
    return spec.to_dict()


def _path_parameters(path: str) -> list[dict[str, Any]]:
    import re

    found = []
    for name in re.findall(r"{([a-z_]+)}", path):
        schema: dict[str, Any] = (
            {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
            if name == "version"
            else {"type": "string", "minLength": 1}
        )
        found.append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "description": _PARAMETER_DOCS.get(name, ""),
                "schema": schema,
            }
        )
    return found


def _problem(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or _TITLES.get(status, "Error"),
        "content": {PROBLEM_JSON: {"schema": "Problem"}},
    }


def _operation(op: Operation) -> dict[str, Any]:
    document: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix("api."),
        "summary": op.summary,
        "description": op.description
        + (f"\n\nScope: `{op.scope}`." if op.scope else "\n\nNo token needed."),
        "tags": [op.tag],
    }
    if op.scope:
        document["security"] = [{"bearer": [op.scope]}]
    parameters: list[dict[str, Any]] = []
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    if op.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Send the same key to retry safely: the first response is "
                "returned again and nothing new is created.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        )
    if op.if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "description": "The ETag of the resource as last read.",
                "schema": {"type": "string"},
            }
        )
    if parameters:
        document["parameters"] = parameters
    if op.body is not None:
        document["requestBody"] = {
            "required": op.body_required,
            "content": {media: {"schema": op.body} for media in op.body_types},
        }
    responses: dict[str, Any] = {}
    for status, (description, schema) in op.responses.items():
        response: dict[str, Any] = {"description": description}
        if schema is not None:
            response["content"] = {media: {"schema": schema} for media in op.response_types}
        headers: dict[str, Any] = {}
        if op.etag:
            headers["ETag"] = {"schema": {"type": "string"}, "description": "The version read."}
        if op.location and status == 201:
            headers["Location"] = {"schema": {"type": "string"}, "description": "Its URL."}
        if headers:
            response["headers"] = headers
        responses[str(status)] = response
    statuses = {401, 429}
    if op.scope:
        statuses.add(403)
    if op.body is not None:
        statuses |= {400, 413, 415, 422}
    if op.query is not None:
        statuses.add(422)
    if op.idempotent:
        statuses |= {409, 422}
    statuses |= set(op.problems)
    for status in sorted(statuses):
        responses.setdefault(str(status), _problem(status))
    document["responses"] = responses
    return document
