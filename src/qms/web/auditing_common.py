"""What the auditor's pages share: the record kind, a service's refusal in a sentence, and
a step's form when the person is offered the step."""

from __future__ import annotations

from typing import Protocol

from qms.bootstrap import Services
from qms.errors import ValidationError
from qms.models import Answer
from qms.web import records_form
from qms.web.i18n import N_

KIND = "internal_audit"
LABELS = {
    Answer.CONFORM: N_("Conform"),
    Answer.NOT_CONFORM: N_("Not conform"),
    Answer.NOT_APPLICABLE: N_("Not applicable"),
}
ANSWERS = tuple((answer.value, LABELS.get(answer, answer.value)) for answer in Answer)


class Offers(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def triggers(self) -> tuple[str, ...]: ...


def said(refused: ValidationError) -> str:
    """The refusal's sentence without the field's name (the page puts it by the field)."""
    text = str(refused).removeprefix(f"{refused.field}: ")
    return text[:1].upper() + text[1:]


def step_or_none(
    services: Services, shown: Offers, trigger: str, handle: str
) -> records_form.StepForm | None:
    """The form of ``trigger`` on the audit if the person is offered it now (with why a
    guard would refuse it, in words), else None."""
    if trigger not in shown.triggers:
        return None
    return records_form.step_form(services, KIND, shown.id, trigger, handle)
