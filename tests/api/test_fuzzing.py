"""Schemathesis against the OpenAPI document, in process (WSGI), on every operation with a
valid token: no 5xx, and every response conforms to the document (status, content type,
headers and body schema).

One test per operation of the document; each runs ``MAX_EXAMPLES`` generated requests (kept
small so that the API folder runs in well under three minutes; set ASSESSMENT_FUZZ_EXAMPLES
for a deeper run). The schema is loaded inside the test so that the requests share the test's
rolled-back transaction, with published questionnaires and a person present.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from assessment_engine.api import build_blueprint
from assessment_engine.api.tokens import SCOPES

MAX_EXAMPLES = int(os.environ.get("ASSESSMENT_FUZZ_EXAMPLES", "15"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
OPERATIONS = sorted({(op.method.upper(), op.path) for op in build_blueprint()[1]})


def test_the_document_lists_every_operation(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    listed = {
        (method.upper(), path)
        for path, methods in document["paths"].items()
        for method in methods
        if method != "parameters"
    }
    assert listed == set(OPERATIONS)
    # the 18 of api.md but openapi.json, plus GET referral, the answers of an assessment and
    # GET/POST sharing-views, plus the quarterly return (GET reports/return)
    assert len(OPERATIONS) == 28


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_document(
    app: Any, make_token: Any, questionnaires: Any, person: Any, method: str, path: str
) -> None:
    token = make_token("nhs-tayside", list(SCOPES))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    calls = []

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        calls.append(1)
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    run()
    assert calls
