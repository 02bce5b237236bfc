"""The guards' refusals in words, one sentence per ``Refusal.reason`` (the guards are in
:mod:`qms.workflow.guards`): each a ``_()`` template with named placeholders, its values
formatted here (fields by label, dates as ``day``, actions and questions named in full).
A refusal this module does not know reads as the guard wrote it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from qms.web.i18n import N_, _, ngettext
from qms.web.refusals_voice import Voice, capital, clause, joined
from qms.workflow.guards import Refusal
from qms.workflow.guards.audits import Question
from qms.workflow.guards.capa import Named

RESULTS = {"effective": N_("effective"), "ineffective": N_("not effective")}
Values = Mapping[str, Any]
Say = Callable[[Values, Voice, str], str]


def refusal_said(refusal: str, voice: Voice, trigger: str) -> str:
    """What a guard said, in words (as it said it when it carries no known reason)."""
    if isinstance(refusal, Refusal) and refusal.reason in SAID:
        return SAID[refusal.reason](refusal.values, voice, trigger)
    return capital(str(refusal))


def _fields_missing(values: Values, voice: Voice, trigger: str) -> str:
    return _("Fill in %(fields)s first (%(clause)s).") % {
        "fields": voice.fields(values["fields"], trigger),
        "clause": clause(values["clause"]),
    }


def _check_not_due(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "This step cannot be taken yet: the effectiveness check is planned for %(day)s "
        "(%(clause)s)."
    ) % {"day": voice.day(values["day"]), "clause": clause(values["clause"])}


def _not_effective(values: Values, voice: Voice, trigger: str) -> str:
    result = values.get("result")
    said = _(RESULTS[result]) if result in RESULTS else _("none")
    return _(
        "This step needs an effectiveness check that found it effective (%(clause)s); "
        "the result given is %(result)s."
    ) % {"result": said, "clause": clause(values["clause"])}


def _not_ineffective(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "This step follows an effectiveness check that found it not effective (%(clause)s)."
    ) % {"clause": clause(values["clause"])}


def _check_not_planned(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "Fill in %(fields)s before a corrective action starts: plan how its effectiveness "
        "will be checked (%(clause)s)."
    ) % {"fields": voice.fields(values["fields"], trigger), "clause": clause(values["clause"])}


def _none_needed(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "The analysis found no corrective action needed: say why in %(why)s and leave "
        "%(extra)s empty (%(clause)s); if one is needed, analyse the cause again."
    ) % {
        "why": voice.field(values["why"], trigger),
        "extra": voice.fields(values["extra"], trigger),
        "clause": clause(values["clause"]),
    }


def _action_needed(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "A corrective action is needed (%(clause)s): fill in %(fields)s, or add an action "
        "to this nonconformity first."
    ) % {"fields": voice.fields(values["fields"], trigger), "clause": clause(values["clause"])}


def _plan_incomplete(values: Values, voice: Voice, trigger: str) -> str:
    return _("To plan a corrective action, fill in %(fields)s too (%(clause)s).") % {
        "fields": voice.fields(values["fields"], trigger),
        "clause": clause(values["clause"]),
    }


def _due_past(values: Values, voice: Voice, trigger: str) -> str:
    return _("The action's due date, %(due)s, is in the past (%(clause)s).") % {
        "due": voice.day(values["due"]),
        "clause": clause(values["clause"]),
    }


def _check_before_due(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "The effectiveness check, on %(check)s, comes before the due date, %(due)s: "
        "effectiveness is checked once the action is done (%(clause)s)."
    ) % {
        "check": voice.day(values["check"]),
        "due": voice.day(values["due"]),
        "clause": clause(values["clause"]),
    }


def _no_action(values: Values, voice: Voice, trigger: str) -> str:
    return _("This nonconformity has no corrective action on the register (%(clause)s).") % {
        "clause": clause(values["clause"])
    }


def _actions_not_done(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "This step cannot be taken yet: its corrective actions are not all done "
        "(%(clause)s). %(actions)s."
    ) % {"actions": _actions(values["actions"], voice), "clause": clause(values["clause"])}


def _actions_unchecked(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "The effectiveness of each of its actions is checked first, and each action "
        "closed (%(clause)s). %(actions)s."
    ) % {"actions": _actions(values["actions"], voice), "clause": clause(values["clause"])}


def _none_effective(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "None of its actions was found effective (%(clause)s): analyse the cause again and "
        "plan a new one."
    ) % {"clause": clause(values["clause"])}


def _actions_waiting(values: Values, voice: Voice, trigger: str) -> str:
    return _("Reject its waiting actions first, each with its reason. %(actions)s.") % {
        "actions": _actions(values["actions"], voice)
    }


def _no_criteria(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "This action has no effectiveness criteria: they are set before the check "
        "(%(clause)s). Reopen it and fill in %(field)s."
    ) % {"field": voice.field(values["field"], trigger), "clause": clause(values["clause"])}


def _unanswered(values: Values, voice: Voice, trigger: str) -> str:
    count = int(values["count"])
    named = [_question(q) for q in values["questions"]]
    if count > len(named):
        named.append(_("%(count)s more") % {"count": count - len(named)})
    return ngettext(
        "%(count)s checklist question is not answered: %(questions)s. Answer it, or mark it "
        "not applicable with a reason (%(clause)s; ISO 19011, 6.4.7).",
        "%(count)s checklist questions are not answered: %(questions)s. Answer each, or "
        "mark it not applicable with a reason (%(clause)s; ISO 19011, 6.4.7).",
        count,
    ) % {"count": count, "questions": "; ".join(named), "clause": clause(values["clause"])}


def _question(question: Question) -> str:
    values = {"position": question.position, "clause": question.clause, "text": question.question}
    if question.no_reason:
        return _("%(position)s (%(clause)s) %(text)s: not applicable, with no reason") % values
    return _("%(position)s (%(clause)s) %(text)s") % values


def _inputs_unexplained(values: Values, voice: Voice, trigger: str) -> str:
    said = list(values["said"])
    return ngettext(
        "An input of the review is missing with no reason recorded: %(inputs)s. Record why "
        "it is missing before the review is held (%(clause)s).",
        "%(count)s inputs of the review are missing with no reason recorded: %(inputs)s. "
        "Record why each is missing before the review is held (%(clause)s).",
        len(said),
    ) % {"count": len(said), "inputs": "; ".join(said), "clause": clause(values["clause"])}


def _reason_not_needed(values: Values, voice: Voice, trigger: str) -> str:
    missing = list(values["missing"])
    return _(
        "A reason is recorded only for an input that was missing when the inputs were "
        "gathered (%(clause)s): %(inputs)s had data then (missing then: %(missing)s)."
    ) % {
        "inputs": joined(list(values["inputs"])),
        "missing": joined(missing) if missing else _("none"),
        "clause": clause(values["clause"]),
    }


def _period_not_over(values: Values, voice: Voice, trigger: str) -> str:
    return _(
        "The period reviewed ends on %(end)s, after the day the review is held, %(held_on)s: "
        "a review looks back on a period that is over (%(clause)s)."
    ) % {
        "end": voice.day(values["end"]),
        "held_on": voice.day(values["held_on"]),
        "clause": clause(values["clause"]),
    }


def _actions(actions: Iterable[Named], voice: Voice) -> str:
    """Each action a refusal names: its reference, title, state, owner and due date."""
    said = []
    for action in actions:
        values = {
            "ref": voice.words.ref("improvement_action", action.id),
            "title": action.title,
            "state": voice.words.state("improvement_action", action.state),
            "owner": action.owner or _("no owner"),
            "due": voice.day(action.due),
        }
        if action.due is None:
            said.append(_("%(ref)s, %(title)s: %(state)s, owner %(owner)s") % values)
        else:
            said.append(_("%(ref)s, %(title)s: %(state)s, owner %(owner)s, due %(due)s") % values)
    return "; ".join(said)


SAID: Mapping[str, Say] = {
    "fields_missing": _fields_missing,
    "check_not_due": _check_not_due,
    "not_effective": _not_effective,
    "not_ineffective": _not_ineffective,
    "check_not_planned": _check_not_planned,
    "none_needed": _none_needed,
    "action_needed": _action_needed,
    "plan_incomplete": _plan_incomplete,
    "due_past": _due_past,
    "check_before_due": _check_before_due,
    "no_action": _no_action,
    "actions_not_done": _actions_not_done,
    "actions_unchecked": _actions_unchecked,
    "none_effective": _none_effective,
    "actions_waiting": _actions_waiting,
    "no_criteria": _no_criteria,
    "unanswered": _unanswered,
    "inputs_unexplained": _inputs_unexplained,
    "reason_not_needed": _reason_not_needed,
    "period_not_over": _period_not_over,
}
