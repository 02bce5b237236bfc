"""A review's page, ``/reviews/{kind}/{id}``: its steps in order, its inputs as cards, its
decisions with their actions, its pack; and how a step's form comes back to it, refused
(the person's values kept, the refusal in words next to its field) or done (303 here, with
what was done said at the top).

A step's route (:mod:`qms.web.reviews_steps`) reads its form, makes one service call with
plain arguments (the one the command line makes) and answers with :func:`attempt`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qms.errors import (
    ConflictError,
    GuardFailed,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
    WorkflowError,
)
from qms.reporting.render import day
from qms.services import record_view, shared
from qms.web import refusals
from qms.web.auth import Me
from qms.web.forms_common import FormState, in_words, role_label
from qms.web.i18n import N_, _
from qms.web.pages import page
from qms.web.refusals_voice import voice_for
from qms.web.reviews_view import ReviewView, review_view
from qms.web.security import services_of

router = APIRouter()

# What a step did, said at the top of the page it leads back to (?done=...).
DONE = {
    "planned": N_("Review planned. Its inputs are gathered once the period reviewed is over."),
    "noted": N_("Note saved: it is one of the inputs, gathered with them."),
    "gathered": N_(
        "Inputs gathered: they are kept as they stood now. Record why each missing input is "
        "missing, then record the review as held."
    ),
    "explained": N_("Reason recorded: the pack shows it next to the input."),
    "held": N_("Review recorded as held. Record its decisions next: each becomes an action."),
    "held_pack": N_(
        "Review recorded as held: its pack is frozen (revision 1). Record its decisions next: "
        "each becomes an action with an owner and a due date."
    ),
    "decided": N_("Decision recorded: it is followed as an action."),
    "outputs": N_(
        "Outputs recorded: the pack is frozen again with every decision. A director closes "
        "the review."
    ),
    "closed": N_("Review closed: the next one is planned."),
    "cancelled": N_("Review cancelled. Plan the next one for another day."),
}


class Forms:
    """The state of each form of the page: the one refused with what was typed and the
    refusal, the others blank (``held_on`` defaults to today)."""

    def __init__(self, today: str, failed: str = "", state: FormState | None = None) -> None:
        self.today = today
        self.failed = failed
        self.state = state

    def __getitem__(self, name: str) -> FormState:
        if name == self.failed and self.state is not None:
            return self.state
        return FormState({"held_on": self.today} if name == "hold" else {})

    @property
    def refused(self) -> FormState | None:
        """The refused form's state, said at the top of the page (where the page opens)."""
        return self.state if self.state is not None and self.state.refused else None

    @property
    def anchor(self) -> str:
        """Where the refused form is on the page."""
        if self.failed.startswith(("note-", "missing-")):
            return "input-" + self.failed.partition("-")[2]
        return "decide" if self.failed == "decide" else "next"


@router.get("/reviews/{kind}/{review_id}", response_class=HTMLResponse)
def review(
    request: Request, kind: str, review_id: int, me: Me, done: str = "", action: int = 0
) -> HTMLResponse:
    return show(request, me, kind, review_id, done=done, action=action)


def show(
    request: Request,
    me: Me,
    kind: str,
    review_id: int,
    *,
    failed: str = "",
    state: FormState | None = None,
    done: str = "",
    action: int = 0,
) -> HTMLResponse:
    app = services_of(request)
    view = review_view(app, kind, review_id, me.handle)
    context = {
        "view": view,
        "forms": Forms(app.engine.today().isoformat(), failed, state),
        "flash": _flash(view, done, action, app.settings.date_format),
        "role_label": role_label,
        "today": app.engine.today().isoformat(),
    }
    status = state.status if state is not None and state.refused else 200
    return page(request, "reviews/review.html", context, status)


def _flash(view: ReviewView, done: str, action: int, date_format: str) -> str:
    if done not in DONE:
        return ""
    said = _(DONE[done])
    decided = next((d for d in view.decisions if d.action_id == action), None)
    if done == "decided" and decided is not None:
        said = _("Decision recorded: action #%(id)s for %(owner)s, due %(due)s.") % {
            "id": decided.action_id,
            "owner": decided.owner,
            "due": day(decided.due, date_format),
        }
    if done == "closed" and view.following is not None:
        said = _("Review closed: the next one, %(ref)s, is planned.") % {
            "ref": view.following.reference
        }
    return said


def seen(request: Request, kind: str, review_id: int, handle: str) -> None:
    """Refuse a step on a review the person may not see (403), before anything else."""
    app = services_of(request)
    with app.database.reading() as session:
        record_view.seen(session, kind, review_id, handle, app.engine.today())


def attempt(
    request: Request,
    me: Me,
    kind: str,
    review_id: int,
    form: str,
    values: dict[str, str],
    call: Callable[[], Any],
    done: Callable[[Any], str],
) -> Response:
    """Take the step ``call`` takes; 303 to the review (``done`` says where, from what it
    returned), or the page again with the refusal next to the form, nothing written.

    A refused permission is a 403 page, said in words."""
    seen(request, kind, review_id, me.handle)
    state = FormState(values)
    try:
        result = call()
    except PermissionDenied as refused:
        raise _in_words(request, kind, review_id, refused) from refused
    except ValidationError as refused:
        _refuse(state, refused)
    except (GuardFailed, InvalidTransition) as refused:
        state.message = str(_in_words(request, kind, review_id, refused))
    except ConflictError:
        state.message = _("Changed by someone else at the same time: reload the page.")
        state.conflict = True
    else:
        return RedirectResponse(done(result), status_code=303)
    return show(request, me, kind, review_id, failed=form, state=state)


def _in_words(request: Request, kind: str, review_id: int, refused: WorkflowError) -> Exception:
    app = services_of(request)
    with app.database.reading() as session:
        voice = voice_for(session, app, shared.record(session, kind, review_id))
    return refusals.in_words(refused, voice)


COMMAND = re.compile(r"`qms [^`]*`")


def _refuse(state: FormState, refused: ValidationError) -> None:
    """The service's refusal next to its field; said for a page where it names a command."""
    said = in_words(refused)
    if said.startswith("required by"):
        said = _("fill this in")
    elif refused.field == "decisions":
        said = _(
            "no decision is recorded yet: record each decision first, it becomes an action "
            "(ISO 9001, 9.3.3)"
        )
    elif refused.field == "review" or COMMAND.search(said):
        said = _(
            "this step is not possible in the review's state now: reload the page to see "
            "what can be done"
        )
    if refused.field in state.values:
        state.errors.setdefault(refused.field, said)
    else:
        said = said[:1].upper() + said[1:]
        state.message = said if said.endswith((".", "!", "?")) else f"{said}."
