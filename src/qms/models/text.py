"""Text that reaches a column: how long it may be and which characters it may not hold.

The length comes from the model's own column (``Model.__table__.c.<name>.type.length``),
never from a number repeated elsewhere, so the checks cannot drift from the schema; the
same limits hold on SQLite (which would store any length) and PostgreSQL (which would
refuse it with a driver error).  Refused everywhere: control characters (NUL and the other
C0/C1 codes; tab and newline are allowed where text may run over several lines) and
characters that are not valid text (lone surrogates from undecodable bytes).  Refused in
names, handles and codes too: the bidirectional controls U+202A-U+202E and U+2066-U+2069,
which make text read differently from what it holds.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlalchemy import String

from qms.models.base import Base

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
LINE_BREAKS = frozenset("\t\n")  # allowed in multi-line text only
IDENTIFIERS = frozenset({"name", "handle", "code"})  # columns that name or identify a thing


@dataclass(frozen=True, slots=True)
class TextRule:
    """What a text value may be: at most ``length`` characters (None: any), on several
    lines or one, with bidirectional controls or without."""

    length: int | None = None
    multiline: bool = False
    identifier: bool = False

    def character_problem(self, value: str) -> str | None:
        """Why a character of ``value`` is refused (the first one, 1-based), or None."""
        for position, char in enumerate(value, start=1):
            category = unicodedata.category(char)
            if category == "Cc" and not (self.multiline and char in LINE_BREAKS):
                return f"contains a control character ({_code(char)}) at position {position}"
            if category == "Cs":
                return f"contains an invalid character ({_code(char)}) at position {position}"
            if self.identifier and char in BIDI_CONTROLS:
                return (
                    f"contains a bidirectional control character ({_code(char)}) "
                    f"at position {position}"
                )
        return None

    def length_problem(self, value: str) -> str | None:
        if self.length is not None and len(value) > self.length:
            return f"{len(value)} characters, at most {self.length}"
        return None

    def problem(self, value: str) -> str | None:
        """The first thing wrong with ``value`` as it would be stored, or None."""
        return self.character_problem(value) or self.length_problem(value)


FREE_TEXT = TextRule(multiline=True)  # text kept in JSON data: no column length of its own
ONE_LINE = TextRule()  # a single-line value kept in JSON data
IDENTIFIER = TextRule(identifier=True)  # a handle or code looked up, not stored


def rule_for(model: type[Base], column: str) -> TextRule:
    """The rule of ``model``'s column: its length when it has one (a ``String(n)``, one
    line), any length on several lines otherwise (``Text``); identifiers (``name``,
    ``handle``, ``code``) refuse bidirectional controls.  KeyError for a column it lacks."""
    kind = model.__table__.c[column].type
    length = kind.length if isinstance(kind, String) else None
    return TextRule(length=length, multiline=length is None, identifier=column in IDENTIFIERS)


def column_length(model: type[Base], column: str) -> int | None:
    return rule_for(model, column).length


def _code(char: str) -> str:
    return f"U+{ord(char):04X}"
