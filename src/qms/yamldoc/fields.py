"""Field types of the file schemas: the base :class:`Spec`, :data:`IsoDate`, and the words
of a pattern (:func:`describe_pattern`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError


class Spec(BaseModel):
    """Base of every file schema: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- dates --------------------------------------------------------------------------------

DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_text(value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and DATE_TEXT.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError(
                "date_impossible", "'{text}' is not a day of the calendar", {"text": value}
            ) from None
    raise PydanticCustomError("date_text", "should be a date like 2026-03-31")


IsoDate = Annotated[date, BeforeValidator(_date_text)]
"""A calendar date written ``2026-03-31`` (quoted or not) in a YAML file."""


PATTERN_WORDS: dict[str, str] = {}
"""What a regular expression of a schema asks for, in words; files register theirs."""


def describe_pattern(pattern: str, words: str) -> None:
    """Say in words what ``pattern`` asks for (``"a code in capitals like TRN-01"``)."""
    PATTERN_WORDS[pattern] = words
