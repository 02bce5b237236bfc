"""The engine's refusals in words a person reads on a page.

The engine and its guards refuse in the command line's sentences (codes, ISO dates, quoted
names) and give the same refusal as values (:class:`qms.errors.WorkflowError`'s keywords,
a guard's :class:`qms.workflow.guards.Refusal`). A page says it from those values: steps,
states and fields by their workflow labels, people by name, dates as the ``day`` filter
writes them, clauses as "ISO 9001, 10.2.1 d" (:mod:`qms.web.refusals_voice`). Every
sentence is a ``_()`` template with named placeholders and every value is formatted here,
so that a catalog translates the whole sentence; the guards' sentences are in
:mod:`qms.web.refusals_guards`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import TypeVar

from qms.errors import GuardFailed, InvalidTransition, PermissionDenied, WorkflowError
from qms.models import PROCESS_ROLES
from qms.web.i18n import _
from qms.web.refusals_guards import refusal_said
from qms.web.refusals_voice import ROLE_PHRASES, Voice, capital, clause, joined, voice_for

__all__ = ["Voice", "blocked_said", "duty_said", "in_words", "said", "voice_for"]

Refused = TypeVar("Refused", bound=WorkflowError)


def said(refused: WorkflowError, voice: Voice) -> str:
    """The refusal in a person's words; one raised with no values (a service's own
    refusal, already in words) as it is."""
    if isinstance(refused, GuardFailed):
        return guard_said(refused, voice)
    if isinstance(refused, PermissionDenied) and refused.roles:
        return permission_said(refused, voice)
    if isinstance(refused, InvalidTransition) and refused.trigger:
        return transition_said(refused, voice)
    return str(refused)


def in_words(refused: Refused, voice: Voice) -> Refused:
    """The same refusal, with the same values, whose message is said in words."""
    shown = copy.copy(refused)
    shown.args = (said(refused, voice),)
    return shown


def transition_said(refused: InvalidTransition, voice: Voice) -> str:
    """A step the record's state does not allow: the step and the state by their labels."""
    values = {
        "step": voice.step(refused.trigger),
        "ref": voice.words.ref(refused.kind, refused.record_id),
        "state": voice.state(refused.state),
    }
    if not refused.allowed:
        return _("“%(step)s” cannot be done on %(ref)s: it is %(state)s, its last state.") % values
    return _("“%(step)s” cannot be done on %(ref)s now: it is %(state)s.") % values


def permission_said(refused: PermissionDenied, voice: Voice) -> str:
    """Who may take the step (the roles of a process named with it), and what the person
    holds there, on the day."""
    order = list(ROLE_PHRASES)
    ranked = sorted(refused.roles, key=lambda r: order.index(r) if r in order else len(order))
    local = [voice.role(r) for r in ranked if r in PROCESS_ROLES]
    others = [voice.role(r) for r in ranked if r not in PROCESS_ROLES]
    if local and voice.process:
        of = _("%(roles)s of process %(process)s")
        local = [of % {"roles": joined(local, "or"), "process": voice.process}]
    values = {
        "roles": joined(local + others, "or"),
        "held": joined([voice.role(r) for r in sorted(refused.held)]),
        "day": voice.day(refused.day),
    }
    if not refused.held and voice.process:
        sentence = _("Only %(roles)s may take this step; you hold no role there on %(day)s.")
    elif not refused.held:
        sentence = _("Only %(roles)s may take this step; you hold none of them on %(day)s.")
    elif voice.process:
        sentence = _("Only %(roles)s may take this step; you are only %(held)s there on %(day)s.")
    else:
        sentence = _("Only %(roles)s may take this step; on %(day)s you are only %(held)s.")
    return sentence % values


def duty_said(roles: Iterable[str], voice: Voice) -> str:
    """The segregation of duties (clause 5.3): the person a record names in a role may not
    approve or judge their own work."""
    return _(
        "You are %(roles)s of this record: someone else takes this step, or a quality manager "
        "records an exception for you (%(clause)s: a person does not approve or judge their "
        "own work)."
    ) % {"roles": joined([voice.role(r) for r in roles]), "clause": clause("5.3")}


def guard_said(refused: GuardFailed, voice: Voice) -> str:
    """A guard's refusal, or the fields the destination state requires that are empty."""
    if refused.missing:
        fields = voice.fields(refused.missing, refused.trigger)
        return _("Fill in %(fields)s first.") % {"fields": fields}
    if refused.refusal is not None:
        return refusal_said(refused.refusal, voice, refused.trigger)
    return capital(str(refused))


def blocked_said(blocked: str | None, voice: Voice, trigger: str) -> str | None:
    """Why a step offered on a record will be refused whatever is entered, in words
    (``Available.blocked``: a guard's refusal, or a sentence already in words)."""
    return None if blocked is None else refusal_said(blocked, voice, trigger)
