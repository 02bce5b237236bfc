"""An indicator's breach proposals on its page, and the pilot's decision (clauses 9.1.3,
10.2): accept one (an improvement action is proposed, with its owner and due date: the
same service as ``qms indicator accept``) or dismiss it with a reason (``qms indicator
dismiss``). Others see the proposal and who decides it.

Each decision is one service call with the form's values
(:mod:`qms.services.indicators.breaches`), which checks again that the person is the
pilot; the page offers the forms to that person only
(:mod:`qms.services.indicators.breach_pages`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from qms.models import BreachProposal, BreachState, Indicator
from qms.reporting.words import Words
from qms.services.indicators import breach_pages, breaches
from qms.web.forms_common import FormState, Holder, parse_day, people_of, role_label
from qms.web.forms_indicator_rows import local_day, with_unit
from qms.web.i18n import N_, _
from qms.workflow.permissions import ActorRoles

DUE_IN = 30  # days: the due date the accept form proposes
STATE_LABELS = {
    BreachState.OPEN: N_("Open"),
    BreachState.ACCEPTED: N_("Accepted"),
    BreachState.DISMISSED: N_("Dismissed"),
    BreachState.WITHDRAWN: N_("Withdrawn"),
}


class AcceptFields(BaseModel):
    owner: str = ""
    due_date: str = ""
    title: str = ""


class DismissFields(BaseModel):
    reason: str = ""


@dataclass
class Forms:
    """The two forms of one open proposal, as typed (or as proposed)."""

    accept: FormState | None = None  # None: the proposed owner and due date
    dismiss: FormState = field(default_factory=lambda: FormState(DismissFields().model_dump()))


@dataclass(frozen=True)
class BreachView:
    id: int
    period: str
    value: str
    threshold: str
    state: str
    state_label: str
    raised_on: date
    decided_by: str
    decided_on: date | None
    reason: str
    action_id: int | None
    forms: Forms | None  # the pilot's forms, on an open proposal; None for anyone else


@dataclass(frozen=True)
class Breaches:
    open: list[BreachView]
    decided: list[BreachView]
    deciders: str  # the pilot(s) by name
    may_decide: bool
    owners: list[tuple[str, str]]  # (handle, "name · role"): the people of the process
    default_title: str


def breaches_of(
    session: Session,
    indicator: Indicator,
    roles: ActorRoles,
    words: Words,
    zone: ZoneInfo,
    typed: dict[int, Forms] | None = None,
) -> Breaches:
    """The indicator's proposals for its page; ``typed``: forms sent back with an error."""
    today = roles.on
    deciding = breach_pages.may_decide(roles, indicator)
    views = []
    for b in breach_pages.of_indicator(session, indicator):
        forms = None
        if deciding and b.state == BreachState.OPEN:
            forms = (typed or {}).get(b.id) or Forms()
            if forms.accept is None:
                forms.accept = _proposed(roles, today)
        views.append(
            BreachView(
                b.id,
                b.period,
                with_unit(b.value, indicator.unit),
                with_unit(b.threshold, indicator.unit),
                b.state.value,
                _(STATE_LABELS[b.state]),
                local_day(b.raised_at, zone),
                words.person(b.decided_by) if b.decided_by else "",
                local_day(b.decided_at, zone) if b.decided_at else None,
                b.reason,
                b.action_id,
                forms,
            )
        )
    people: list[Holder] = people_of(session, [indicator.process], today)[indicator.process.code]
    pilots = breach_pages.deciders(session, indicator, today)
    return Breaches(
        [v for v in views if v.state == BreachState.OPEN],
        [v for v in views if v.state != BreachState.OPEN],
        ", ".join(p.name for p in pilots) or _("its pilot (none named today)"),
        deciding,
        [(h.handle, f"{h.name} · {role_label(h.role)}") for h in people],
        _("%(name)s: back within the alert threshold") % {"name": indicator.name},
    )


def _proposed(roles: ActorRoles, today: date) -> FormState:
    due = (today + timedelta(days=DUE_IN)).isoformat()
    return FormState(AcceptFields(owner=roles.actor.handle, due_date=due).model_dump())


def open_breach(session: Session, code: str, breach_id: int) -> BreachProposal:
    """The open proposal ``breach_id`` of the indicator ``code`` (404 for any other, 409
    once decided: by someone else meanwhile, or a form sent twice)."""
    found = session.get(BreachProposal, breach_id)
    if found is not None and found.indicator.code == code and found.state != BreachState.OPEN:
        raise ConflictError(
            _("The breach proposal of %(period)s is already %(state)s: nothing to decide.")
            % {"period": found.period, "state": _(STATE_LABELS[found.state]).lower()}
        )
    if found is None or found.indicator.code != code:
        raise NotFound(
            _("There is no breach proposal #%(id)s of %(code)s.") % {"id": breach_id, "code": code}
        )
    return found


def check_decider(session: Session, actor: str, indicator: Indicator, today: date) -> None:
    """Refuse, before reading the form, anyone who does not decide the proposals."""
    roles = ActorRoles.for_handle(session, actor, today)
    if not breach_pages.may_decide(roles, indicator):
        raise PermissionDenied(
            _(
                "%(name)s may not decide on the breach proposals of %(code)s: that is for "
                "the pilot of %(process)s (ISO 9001, 9.1.3)."
            )
            % {"name": roles.actor.name, "code": indicator.code, "process": indicator.process.code}
        )


def accept(app: Services, actor: str, breach_id: int, fields: AcceptFields) -> int:
    """Accept the proposal as the form says; the id of the action proposed."""
    if not fields.owner.strip():
        raise ValidationError("owner", _("choose who carries out the action"))
    due = parse_day(fields.due_date, "due_date")
    if due is None:
        raise ValidationError("due_date", _("give the day the action is due"))
    action = breaches.accept(app, breach_id, actor, fields.owner.strip(), due, fields.title)
    return action.id


def dismiss(app: Services, actor: str, breach_id: int, fields: DismissFields) -> None:
    breaches.dismiss(app, breach_id, actor, fields.reason)
