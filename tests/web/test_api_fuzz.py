"""The API fuzzed from its own OpenAPI document (schemathesis), in process, through the web
application it is mounted in, with a read-write token of the quality manager: whatever
is sent, no answer is a server error, and every answer conforms to the document (its
status is documented, its content type and its body are the documented ones).

Bounded in time for `make test`: ten cases per operation, derandomized (the same cases at
each run), no deadline. The cases are drawn from the document alone, from the document with
the path naming records that exist (a nonconformity, an audit, an indicator with values, a
breach), so that they reach the endpoints' answers and not only their 404s, and from its
negative mode (what the document refuses: 4xx, never 5xx). A longer run, on both
databases, is marked slow (`make test-slow`).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qms.bootstrap import Services
from qms.services.audits import programme
from tests.web.test_api_support import (
    API,
    INDICATOR,
    QM,
    Tokens,
    bearer,
    breach,
    new_audit,
    new_nc,
    token,
)

# Part 2's pages and API, end to end: `make test-slow` (CI runs it), so `make test` stays
# within its quarter of an hour on two cores.
pytestmark = pytest.mark.slow

__all__ = ["token"]  # the fixture

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _fuzz(client: TestClient, app: Services, token: Tokens, examples: int) -> None:
    known = {  # records that exist, for half of the cases to name
        "breach_id": breach(app),  # the indicators, a value and its breach proposal
        "record_id": new_nc(app),
        "kind": "nonconformity",
        "trigger": "contain",
        "code": INDICATOR,
        "audit_id": new_audit(app),
        "revision": 1,
        "review_id": 1,
    }
    programme.plan(app, QM, 2026)
    web: FastAPI = client.app  # type: ignore[assignment]
    schema = schemathesis.openapi.from_asgi(f"{API}/openapi.json", web)
    headers = bearer(token(QM))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        named = {n: known[n] for n in re.findall(r"{(\w+)}", operation.path) if n in known}
        strategy: Any = st.one_of(
            operation.as_strategy(),
            operation.as_strategy(path_parameters=named),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        check()


def test_no_answer_is_a_server_error_and_each_conforms(
    client: TestClient, app: Services, token: Tokens, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("fuzzed on SQLite in make test; on both in the slow run below")
    _fuzz(client, app, token, examples=10)


@pytest.mark.slow
def test_fuzzed_longer(client: TestClient, app: Services, token: Tokens) -> None:
    _fuzz(client, app, token, examples=60)
