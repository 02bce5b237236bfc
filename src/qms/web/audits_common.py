"""What the audit pages share: the states of a programme's audits in words, the cycle a
page shows, the services' refusals said in words (who may plan audits, approve an
exception, or approve the programme) and the form a refusal comes back on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from qms.bootstrap import Services
from qms.errors import ConflictError, PermissionDenied, ValidationError
from qms.reporting.render import day as render_day
from qms.reporting.words import TERMS, readable
from qms.web.forms_common import in_words
from qms.web.i18n import N_, _
from qms.web.refusals_voice import clause, joined

T = TypeVar("T")

STATUS = {
    "planned": N_("Planned"),
    "started": N_("Started"),
    "done": N_("Done"),
    "late": N_("Late"),
    "cancelled": N_("Cancelled"),
    "retired": N_("Process retired"),
    "not_carried_out": N_("Not carried out"),
}
STATUS_CLASS = {"late": "state late", "done": "state ok", "started": "state started"}
AUDIT_TYPES = {
    "internal": N_("Internal audit"),
    "external": N_("External audit"),
    "follow_up": N_("Follow-up audit"),
}
TEAM_ROLES = {
    "lead_auditor": N_("Lead auditor"),
    "auditor": N_("Auditor"),
    "observer": N_("Observer"),
    "technical_expert": N_("Technical expert"),
}
PROCESS_ROLE_WORDS = {
    "pilot": N_("pilot"),
    "correspondent": N_("quality correspondent"),
    "contributor": N_("contributor"),
}
DONE = {
    "planned": N_(
        "The programme is planned as a draft: move, add or remove its audits, then a "
        "director approves it."
    ),
    "moved": N_("The audit is moved."),
    "added": N_("The audit is added to the programme."),
    "removed": N_("The audit is removed from the programme."),
    "approved": N_("The programme is approved."),
    "scheduled": N_("The audit is scheduled: set its plan and its team."),
    "edited": N_("The audit plan is saved."),
    "assigned": N_("The team is updated."),
    "excepted": N_("The exception is recorded: the auditor may now be put on the team."),
}


def role_words(roles: tuple[str, ...] | list[str]) -> str:
    """The roles one holds on a process: "pilot", "contributor and quality correspondent"."""
    return joined([_(PROCESS_ROLE_WORDS.get(r, r)) for r in roles])


def term(group: str, code: str) -> str:
    """A code of the reports' vocabulary (a finding type, a role) as its label."""
    return _(TERMS.get(group, {}).get(code) or readable(code))


def status_label(status: str) -> str:
    return _(STATUS.get(status, status))


def status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "state")


def done_said(done: str | None) -> str | None:
    return _(DONE[done]) if done in DONE else None


def cycle_of(app: Services, cycle: int | None) -> int:
    """The cycle asked for, else the current year's."""
    return cycle if cycle is not None else app.engine.today().year


@dataclass
class Refusal:
    """A form's refusal: which form (``where``), its message, each field's error, the
    values typed; ``status`` is the answer's (400, 403, 409)."""

    where: str = ""
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    status: int = 400

    def __bool__(self) -> bool:
        return bool(self.where)

    def error(self, name: str) -> str:
        return self.errors.get(name, "")


def refused(
    where: str,
    values: dict[str, str],
    fields: tuple[str, ...],
    call: Callable[[], T],
    aliases: dict[str, str] | None = None,
) -> T | Refusal:
    """``call()``, or the refusal of its service on the form ``where``: a ValidationError
    next to its field when the form has it (``aliases``: the form's name of a service's
    field), on the form otherwise; a ConflictError as "changed by someone else" (409). A
    PermissionDenied is not caught: the page is 403."""
    try:
        return call()
    except ValidationError as exc:
        said = in_words(exc)
        name = (aliases or {}).get(exc.field, exc.field)
        if name in fields:
            return Refusal(where, "", {name: said}, values)
        return Refusal(where, said[:1].upper() + said[1:], {}, values)
    except ConflictError:
        message = _("Changed by someone else at the same time: reload the page and try again.")
        return Refusal(where, message, {}, values, 409)


@contextmanager
def coordinating(what: str, today: date, date_format: str) -> Iterator[None]:
    """A refusal of ``common.coordinator`` (a service's own, with no workflow roles) in
    words: only the quality manager or a quality correspondent plans audits."""
    try:
        yield
    except PermissionDenied as exc:
        if exc.roles:
            raise
        raise PermissionDenied(
            _(
                "Only the quality manager or a quality correspondent may %(what)s; you hold "
                "neither role on %(day)s (%(clause)s)."
            )
            % {"what": what, "day": render_day(today, date_format), "clause": clause("9.2.2")}
        ) from exc


@contextmanager
def managing(today: date, date_format: str) -> Iterator[None]:
    """The quality manager alone approves an exception to impartiality."""
    try:
        yield
    except PermissionDenied as exc:
        raise PermissionDenied(
            _(
                "Only the quality manager may approve that an auditor audits a process they "
                "hold a role on (%(clause)s); you are not the quality manager on %(day)s."
            )
            % {"day": render_day(today, date_format), "clause": clause("9.2.2 c")}
        ) from exc
