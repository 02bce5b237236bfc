"""The values a transition asks for: checked and converted before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qms.errors import ValidationError
from qms.models import Person
from qms.models.text import FREE_TEXT, IDENTIFIER, TextRule
from qms.workflow.definition import InputDef, InputType, TransitionDef

TRUE_WORDS = {"true", "yes", "y", "1", "oui"}
FALSE_WORDS = {"false", "no", "n", "0", "non"}


def coerce_inputs(
    session: Session, transition: TransitionDef, given: Mapping[str, Any], today: date
) -> dict[str, Any]:
    """The inputs converted to their declared types; a ValidationError names the field.
    A person named must be active ``today``."""
    declared = {i.name: i for i in transition.inputs}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        asked = ", ".join(declared) or "nothing"
        raise ValidationError(
            unknown[0], f"'{transition.trigger}' does not ask for it (it asks for: {asked})"
        )
    values: dict[str, Any] = {}
    for spec in transition.inputs:
        raw = given.get(spec.name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if spec.required:
                raise ValidationError(
                    spec.name, f"required by '{transition.trigger}' ({spec.label})"
                )
            continue
        values[spec.name] = _coerce(session, spec, raw, today)
    return values


def _coerce(session: Session, spec: InputDef, raw: Any, today: date) -> Any:
    match spec.type:
        case InputType.TEXT:  # kept in the record's JSON data: no length, several lines
            return _text(spec, FREE_TEXT, str(raw)).strip()
        case InputType.INT:
            return _integer(spec, raw)
        case InputType.BOOL:
            return _boolean(spec, raw)
        case InputType.DATE:
            return _date(spec, raw)
        case InputType.CHOICE:
            if str(raw) not in spec.choices:
                raise ValidationError(spec.name, f"{raw!r} is not one of {', '.join(spec.choices)}")
            return str(raw)
        case InputType.PERSON:
            return _person(session, spec, raw, today)


def _integer(spec: InputDef, raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValidationError(spec.name, f"{raw!r} is not a whole number")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValidationError(spec.name, f"{raw!r} is not a whole number") from None


def _boolean(spec: InputDef, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ValidationError(spec.name, f"{raw!r} is not yes or no")


def _date(spec: InputDef, raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationError(spec.name, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def _person(session: Session, spec: InputDef, raw: Any, today: date) -> str:
    handle = raw.handle if isinstance(raw, Person) else _text(spec, IDENTIFIER, str(raw))
    person = session.scalar(select(Person).where(Person.handle == handle))
    if person is None:
        raise ValidationError(spec.name, f"unknown person '{handle}'")
    if not person.active_on(today):
        raise ValidationError(
            spec.name, f"'{handle}' is no longer active (since {person.inactive_from})"
        )
    return handle


def _text(spec: InputDef, rule: TextRule, value: str) -> str:
    """``value`` unless a character of it is refused (a NUL would reach PostgreSQL)."""
    problem = rule.character_problem(value)
    if problem is not None:
        raise ValidationError(spec.name, problem)
    return value


def jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}
