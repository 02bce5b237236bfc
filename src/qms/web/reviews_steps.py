"""The steps of a review, each a form of its page calling the service the command line
calls (``qms review gather | note | input-missing | hold | decide | outputs | close |
cancel``), as the signed-in person; each answers 303 to the review, or the page again
with the refusal in words (:func:`qms.web.reviews_page.attempt`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from qms.errors import NotFound, ValidationError
from qms.models import ReviewKind
from qms.services.reviews import decisions as reviews_decisions
from qms.services.reviews import service as reviews
from qms.services.reviews import steps as reviews_steps
from qms.services.reviews.inputs import SECTION_KEYS
from qms.services.reviews.pages import kind_of
from qms.web.auth import Me
from qms.web.forms_common import parse_day
from qms.web.i18n import _
from qms.web.reviews_page import attempt
from qms.web.security import services_of

router = APIRouter()

MR = "management_review"
TEXT = 20_000  # characters a free-text field takes


def _management(kind: str) -> ReviewKind:
    """Notes, reasons, outputs and cancelling belong to management reviews only."""
    if kind != MR:
        raise NotFound(_("A process review has no such step."))
    return ReviewKind.MANAGEMENT


def _input(key: str) -> str:
    if key not in SECTION_KEYS:
        raise NotFound(_("A review has no input %(key)s.") % {"key": key[:20]})
    return key


def _to(kind: str, review_id: int, done: str, anchor: str = "") -> Any:
    return lambda _result: f"/reviews/{kind}/{review_id}?done={done}{anchor}"


@router.post("/reviews/{kind}/{review_id}/gather")
def gather(request: Request, kind: str, review_id: int, me: Me) -> Response:
    app, review_kind = services_of(request), kind_of(kind)

    def call() -> object:
        return reviews_steps.gather(app, review_kind, review_id, me.handle)

    return attempt(
        request, me, kind, review_id, "gather", {}, call, _to(kind, review_id, "gathered")
    )


class Text(BaseModel):
    text: str = Field("", max_length=TEXT)


@router.post("/reviews/{kind}/{review_id}/inputs/{key}/note")
def note(
    request: Request, kind: str, review_id: int, key: str, me: Me, form: Annotated[Text, Form()]
) -> Response:
    app, _kind, key = services_of(request), _management(kind), _input(key)

    def call() -> object:
        return reviews.note(app, review_id, key, form.text, me.handle)

    values = {"text": form.text}
    done = _to(kind, review_id, "noted", f"#input-{key}")
    return attempt(request, me, kind, review_id, f"note-{key}", values, call, done)


class Reason(BaseModel):
    reason: str = Field("", max_length=TEXT)


@router.post("/reviews/{kind}/{review_id}/inputs/{key}/missing")
def missing(
    request: Request, kind: str, review_id: int, key: str, me: Me, form: Annotated[Reason, Form()]
) -> Response:
    app, _kind, key = services_of(request), _management(kind), _input(key)

    def call() -> object:
        return reviews_steps.explain_missing(app, review_id, key, form.reason, me.handle)

    values = {"reason": form.reason}
    done = _to(kind, review_id, "explained", f"#input-{key}")
    return attempt(request, me, kind, review_id, f"missing-{key}", values, call, done)


class Hold(BaseModel):
    held_on: str = Field("", max_length=40)
    attendees: str = Field("", max_length=TEXT)
    minutes: str = Field("", max_length=TEXT)
    participants: str = Field("", max_length=TEXT)
    evaluation: str = Field("", max_length=TEXT)
    intended_results_met: str = Field("", max_length=20)


@router.post("/reviews/{kind}/{review_id}/hold")
def hold(
    request: Request, kind: str, review_id: int, me: Me, form: Annotated[Hold, Form()]
) -> Response:
    app, review_kind = services_of(request), kind_of(kind)

    def call() -> object:
        day = parse_day(form.held_on, "held_on")
        if day is None:
            raise ValidationError("held_on", _("give the day the review was held"))
        if review_kind == ReviewKind.MANAGEMENT:
            return reviews_steps.hold_management(
                app, review_id, me.handle, day, form.attendees, form.minutes
            )
        held = reviews_steps.ProcessHeld(
            day, form.participants, form.evaluation, form.intended_results_met or None
        )
        return reviews_steps.hold_process(app, review_id, me.handle, held)

    done = "held_pack" if review_kind == ReviewKind.MANAGEMENT else "held"
    values = form.model_dump()
    return attempt(request, me, kind, review_id, "hold", values, call, _to(kind, review_id, done))


class Decide(BaseModel):
    title: str = Field("", max_length=TEXT)
    description: str = Field("", max_length=TEXT)
    category: str = Field(reviews_decisions.Category.IMPROVEMENT.value, max_length=40)
    process: str = Field("", max_length=40)
    owner: str = Field("", max_length=64)
    due_date: str = Field("", max_length=40)


@router.post("/reviews/{kind}/{review_id}/decisions")
def decide(
    request: Request, kind: str, review_id: int, me: Me, form: Annotated[Decide, Form()]
) -> Response:
    app, review_kind = services_of(request), kind_of(kind)

    def call() -> object:
        due = parse_day(form.due_date, "due_date")
        if due is None:
            raise ValidationError("due_date", _("give the date it is due by"))
        spec = reviews_decisions.Decision(
            form.title,
            form.owner,
            due,
            form.process or None,
            form.category,
            form.description,
        )
        return reviews_decisions.decide(app, review_kind, review_id, me.handle, spec)

    def done(decision: Any) -> str:
        return f"/reviews/{kind}/{review_id}?done=decided&action={decision.action_id}#decisions"

    values = form.model_dump()
    return attempt(request, me, kind, review_id, "decide", values, call, done)


class Outputs(BaseModel):
    qms_changes: str = Field("", max_length=TEXT)
    resource_needs: str = Field("", max_length=TEXT)


@router.post("/reviews/{kind}/{review_id}/outputs")
def outputs(
    request: Request, kind: str, review_id: int, me: Me, form: Annotated[Outputs, Form()]
) -> Response:
    app, _kind = services_of(request), _management(kind)

    def call() -> object:
        return reviews_steps.record_outputs(
            app, review_id, me.handle, form.qms_changes, form.resource_needs
        )

    values = form.model_dump()
    done = _to(kind, review_id, "outputs")
    return attempt(request, me, kind, review_id, "outputs", values, call, done)


@router.post("/reviews/{kind}/{review_id}/close")
def close(request: Request, kind: str, review_id: int, me: Me) -> Response:
    app, review_kind = services_of(request), kind_of(kind)

    def call() -> object:
        return reviews_steps.close(app, review_kind, review_id, me.handle)

    return attempt(request, me, kind, review_id, "close", {}, call, _to(kind, review_id, "closed"))


class Cancel(BaseModel):
    cancellation_reason: str = Field("", max_length=TEXT)


@router.post("/reviews/{kind}/{review_id}/cancel")
def cancel(
    request: Request, kind: str, review_id: int, me: Me, form: Annotated[Cancel, Form()]
) -> Response:
    app, _kind = services_of(request), _management(kind)

    def call() -> object:
        return reviews_steps.cancel(app, review_id, me.handle, form.cancellation_reason)

    values = form.model_dump()
    done = _to(kind, review_id, "cancelled")
    return attempt(request, me, kind, review_id, "cancel", values, call, done)
