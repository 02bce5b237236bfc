"""Guards of management reviews and process reviews (clauses 9.1.3, 9.3).

Gathering a management review's inputs records which of the twelve inputs of clause
9.3.2 had no data (``missing_inputs``: "c1 customer satisfaction ...; c6 audit
results", or "none"); ``explain_missing_input`` records why one of them is missing
(``reason_missing_c1``, ...).  The review is held only once each missing input has its
reason, and only for a period that is over.
"""

from __future__ import annotations

from collections.abc import Mapping

from qms.workflow.guards.context import Guard, GuardContext, as_date, needs
from qms.workflow.guards.refusal import Refusal

EXPLAIN = "explain_missing_input"  # the transition that records why an input is missing
REASON_PREFIX = "reason_missing_"  # its inputs: reason_missing_a ... reason_missing_f
NOTHING_MISSING = "none"
# The inputs of clause 9.3.2: a, b, the seven items of c, d, e, f.
INPUTS_9_3_2 = ("a", "b", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "d", "e", "f")


def missing_listed(ctx: GuardContext) -> list[tuple[str, str]]:
    """(code, code and words) of each input listed as missing when the inputs were gathered."""
    found = []
    for part in str(ctx.value("missing_inputs") or "").split(";"):
        code = part.strip().partition(" ")[0]
        if code in INPUTS_9_3_2:
            found.append((code, part.strip()))
    return found


def reasons(ctx: GuardContext) -> dict[str, str]:
    """Why inputs are missing, by input code: those recorded and those given now."""
    data = getattr(ctx.record, "data", None) or {}
    given = {**data, **ctx.inputs}
    return {
        name.removeprefix(REASON_PREFIX): str(text)
        for name, text in given.items()
        if name.startswith(REASON_PREFIX) and str(text or "").strip()
    }


def missing_inputs_explained(ctx: GuardContext) -> Refusal | None:
    """A management review is held with every 9.3.2 input, or a reason for each missing one."""
    explained = reasons(ctx)
    listed = missing_listed(ctx)
    unexplained = [words for code, words in listed if code not in explained]
    if not unexplained:
        return None
    one = len(unexplained) == 1
    text = (
        f"{'an input' if one else f'{len(unexplained)} inputs'} of clause 9.3.2 "
        f"{'is' if one else 'are'} missing with no reason recorded: {'; '.join(unexplained)}. "
        "Record why each is missing (`qms review input-missing "
        f"{ctx.record.id} {unexplained[0].partition(' ')[0]} --reason TEXT`) before the "
        "review is held (clause 9.3.2)"
    )
    codes = tuple(code for code, _ in listed if code not in explained)
    return Refusal(
        text, "inputs_unexplained", inputs=codes, said=tuple(unexplained), clause="9.3.2"
    )


def reasons_for_missing_inputs(ctx: GuardContext) -> Refusal | None:
    """A reason is recorded only for an input that was missing when they were gathered."""
    listed = {code for code, _ in missing_listed(ctx)}
    extra = sorted(set(reasons(ctx)) - listed, key=_order)
    if not extra:
        return None
    missing = ", ".join(sorted(listed, key=_order)) or "none"
    text = (
        f"input {', '.join(extra)} had data when the inputs were gathered (missing then: "
        f"{missing}): a reason is recorded only for a missing input (clause 9.3.2)"
    )
    then = tuple(sorted(listed, key=_order))
    return Refusal(text, "reason_not_needed", inputs=tuple(extra), missing=then, clause="9.3.2")


def period_over_when_held(ctx: GuardContext) -> Refusal | None:
    """A review looks back on a period that has ended by the day it is held."""
    held_on = as_date(ctx.value("held_on"))
    end = as_date(getattr(ctx.record, "period_end", None))
    if held_on is None or end is None or end <= held_on:
        return None
    clause = "9.3.2" if getattr(ctx.record, "record_kind", "") == "management_review" else "9.1.3"
    text = (
        f"the period reviewed ends on {end.isoformat()}, after the day the review is held "
        f"({held_on.isoformat()}): a review looks back on a period that is over "
        f"(clause {clause})"
    )
    return Refusal(text, "period_not_over", end=end, held_on=held_on, clause=clause)


def _order(code: str) -> int:
    return INPUTS_9_3_2.index(code) if code in INPUTS_9_3_2 else len(INPUTS_9_3_2)


REVIEW_GUARDS: Mapping[str, Guard] = {
    "evaluation_written": needs("evaluation", clause="9.1.3"),
    "decisions_recorded": needs("decisions", clause="9.3.3"),
    "missing_inputs_explained": missing_inputs_explained,
    "reasons_for_missing_inputs": reasons_for_missing_inputs,
    "period_over_when_held": period_over_when_held,
}
