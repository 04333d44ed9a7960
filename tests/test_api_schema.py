"""The OpenAPI document at /rest/openapi.json stays true: schemathesis fuzzes every
operation of a live BugZot from it (a fixed number of examples per operation, on
127.0.0.1), with an Employee's API key: no answer may be a 500, and every answer must
match the document (status, content type, JSON schema)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from bugzot.api.openapi import document
from bugzot.services import api_keys

EXAMPLES = 8  # per operation and database: bounded, a few seconds each
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


OPERATIONS = [f"{method.upper()} {path}" for path, methods in document()["paths"].items()
              for method in methods]


@pytest.fixture
def api_schema(live_app, live_server, make_user, make_product, make_bug):
    """The document, aimed at a live server holding a product, bugs and a key."""
    employee = make_user("emma", role="Employee")
    make_product("Widget", components=("Core",), versions=("1.0",))
    for i in range(3):
        make_bug(product="Widget", reporter=employee, summary=f"Bug {i}", is_private=i == 2)
    key = api_keys.create_key(employee, "fuzz")[1]
    schema = schemathesis.openapi.from_dict(document())
    schema.config.update(base_url=live_server, headers={"X-BUGZILLA-API-KEY": key})
    return schema


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_answer_matches_the_document(api_schema, label):
    """Hypothesis drives schemathesis's strategy for one operation (schemathesis's own
    pytest plugin does not run under pytest 9)."""
    operation = api_schema.find_operation_by_label(label)

    @given(operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        case.call_and_validate(checks=CHECKS)

    fuzz()


def test_the_document_is_served(client):
    answer = client.get("/rest/openapi.json")
    assert answer.status_code == 200 and answer.get_json()["openapi"].startswith("3.")
    assert set(answer.get_json()["paths"]) >= {"/rest/bug", "/rest/bug/{id_or_alias}",
                                               "/rest/login", "/rest/product/get"}
