"""The API's permission matrix: each kind of person against each state-changing endpoint,
with a read-write token of theirs, on TRN-03 (see test_api_support). Allowed answers 2xx;
refused answers 403 problem+json and writes nothing: the engine's permissions are the
token's person's, as on the web."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from qms.bootstrap import Services
from tests.factories import snapshot
from tests.web.test_api_support import (
    API,
    PEOPLE,
    WRITES,
    Tokens,
    Write,
    bearer,
    problem,
    token,
    written,
)

# Each role against each route: minutes on two cores, so `make test-slow` (CI runs it).
pytestmark = pytest.mark.slow

__all__ = ["token"]  # the fixture


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize(("what", "route", "allowed"), WRITES, ids=[w[0] for w in WRITES])
def test_each_person_each_endpoint(
    client: TestClient,
    app: Services,
    token: Tokens,
    person: str,
    what: str,
    route: Write,
    allowed: set[str],
) -> None:
    path, body = route(app)
    headers = bearer(token(person))
    before = snapshot(app.database)
    answer = client.post(f"{API}{path}", json=body, headers=headers)
    if person in allowed:
        assert answer.status_code in (200, 201), (what, person, answer.text[:500])
    else:
        refused = problem(answer, 403)
        assert refused["type"] == "urn:qms:problem:forbidden", (what, person)
        assert not written(app, before), (what, person)
