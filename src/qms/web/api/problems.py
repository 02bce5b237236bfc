"""Every error of the API as ``application/problem+json`` (RFC 9457).

A problem has a ``type`` (a ``urn:qms:problem:...`` naming the kind of error), a ``title``
(the same for every problem of that type), the HTTP ``status``, a ``detail`` in words (the
engine's refusal said as a page says it, where the record is known) and, for input that
is wrong, ``errors``: one ``{field, message}`` per wrong field (``values[3].period``: the
field ``period`` of the fourth value sent; ``index`` then says 3).

| status | type | when |
| --- | --- | --- |
| 400 | bad-request | a request qms cannot read (not JSON) |
| 401 | unauthorized | no token, or one unknown, expired or revoked, or its account disabled |
| 403 | forbidden | the person may not do it (their roles), or the token is read-only |
| 404 | not-found | no such record, indicator, report or address |
| 405 | method-not-allowed | the address does not take that method |
| 409 | conflict | the record changed since ``expected_version`` (changed by someone else) |
| 409 | invalid-transition | the record's state does not allow the step (a service's own rule) |
| 413 | too-large | the body is larger than ``QMS_UPLOAD_MAX_BYTES`` |
| 422 | validation | a field is wrong: ``errors`` names each |
| 422 | guard-failed | a guard refuses the step (what is missing, in words) |
| 500 | server-error | a fault of qms (never for bad input) |
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from qms.errors import (
    ConflictError,
    DefinitionError,
    GuardFailed,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    QmsError,
    TrailError,
    ValidationError,
    WorkflowError,
)
from qms.web.forms_common import in_words

MEDIA_TYPE = "application/problem+json"
TYPES = {
    400: ("bad-request", "Request not understood"),
    401: ("unauthorized", "Token needed"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Changed by someone else"),
    413: ("too-large", "Request too large"),
    422: ("validation", "Not accepted"),
    500: ("server-error", "Server error"),
}
OTHER_TYPES = {  # a second type of the same status
    "invalid-transition": "Not possible in this state",
    "guard-failed": "Refused by a rule of the workflow",
}


class FieldProblem(BaseModel):
    field: str = Field(description="The field that is wrong: `title`, `values[3].period`.")
    message: str = Field(description="What is wrong with it, in words.")
    index: int | None = Field(None, description="The position of the item in a list sent.")


class Problem(BaseModel):
    """An error (RFC 9457)."""

    type: str = Field(description="urn:qms:problem:validation, urn:qms:problem:forbidden, ...")
    title: str
    status: int
    detail: str = Field(description="What went wrong, in words.")
    instance: str | None = Field(None, description="The path of the request.")
    errors: list[FieldProblem] = Field(default_factory=list)


def response(
    request: Request,
    status: int,
    detail: str,
    errors: Sequence[FieldProblem] = (),
    headers: dict[str, str] | None = None,
    kind: str | None = None,
) -> JSONResponse:
    name, title = TYPES.get(status, ("error", HTTPStatus(status).phrase))
    if kind in OTHER_TYPES:
        name, title = kind, OTHER_TYPES[kind]
    body = Problem(
        type=f"urn:qms:problem:{name}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=list(errors),
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def status_of(exc: QmsError) -> int:
    """The HTTP status of a refusal (see the module's table)."""
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ConflictError | InvalidTransition):
        return 409
    if isinstance(exc, ValidationError | GuardFailed | DefinitionError):
        return 422
    if isinstance(exc, WorkflowError):
        return 409  # a service's own refusal of a step in the record's state
    if isinstance(exc, TrailError):
        return 500  # a frozen document no longer matches its hash: not the caller's fault
    return 400


def field_problems(exc: QmsError) -> list[FieldProblem]:
    wrong = getattr(exc, "wrong", None)  # several values of a list (indicators.bulk)
    if wrong is not None:
        return [
            FieldProblem(field=f"values[{w.index}].{w.field}", message=w.message, index=w.index)
            for w in wrong
        ]
    if isinstance(exc, ValidationError):
        return [FieldProblem(field=exc.field, message=in_words(exc))]
    if isinstance(exc, GuardFailed) and exc.missing:
        return [FieldProblem(field=name, message="required") for name in exc.missing]
    return []


async def qms_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QmsError)
    status = status_of(exc)
    detail = str(exc)
    if isinstance(exc, ValidationError) and getattr(exc, "wrong", None) is None:
        detail = f"{exc.field}: {in_words(exc)}"
    if isinstance(exc, DefinitionError):
        errors = [FieldProblem(field=p.file, message=p.message) for p in exc.problems]
        return response(request, status, detail.splitlines()[0] if detail else "", errors)
    return response(request, status, detail, field_problems(exc), kind=_kind(exc))


def _kind(exc: QmsError) -> str | None:
    if isinstance(exc, GuardFailed):
        return "guard-failed"
    if isinstance(exc, WorkflowError) and not isinstance(exc, PermissionDenied):
        return "invalid-transition"
    return None


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404:
        detail = "There is nothing at this address of the API."
    return response(request, status, detail, headers=dict(exc.headers or {}))


_INDEX = re.compile(r"^\d+$")


def field_name(location: Sequence[Any]) -> tuple[str, int | None]:
    """A field's name from pydantic's location: ``("body", "values", 3, "period")`` is
    ``values[3].period`` (index 3); the part of the request (body, query, path) is left out."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    name, index = "", None
    for part in parts:
        if isinstance(part, int) or _INDEX.match(str(part)):
            name += f"[{part}]"
            index = int(part) if index is None else index
        else:
            name += f".{part}" if name else str(part)
    return name or "body", index


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for error in exc.errors():
        name, index = field_name(error.get("loc", ()))
        message = str(error.get("msg", "not valid"))
        errors.append(FieldProblem(field=name, message=message, index=index))
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return response(request, 400, "The body is not JSON.", errors)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5]) or "not accepted"
    return response(request, 422, detail, errors)


async def server_error(request: Request, exc: Exception) -> JSONResponse:
    return response(request, 500, "qms could not answer this request; the fault is logged.")


HANDLERS: list[tuple[type[Exception], Any]] = [
    (QmsError, qms_error),
    (RequestValidationError, invalid_request),
    (HTTPException, http_error),
    (Exception, server_error),
]


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route, for its OpenAPI document (their schema: Problem)."""
    return {
        status: {
            "model": Problem,
            "description": TYPES[status][1],
            "content": {MEDIA_TYPE: {}},
        }
        for status in statuses
    }


def problem_document(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every error response as ``application/problem+json`` of
    the Problem schema (FastAPI writes them as ``application/json``, with its own schema
    for a 422)."""
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                if str(status)[:1] in ("4", "5"):
                    answer["content"] = {MEDIA_TYPE: {"schema": ref}}
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document
