"""Numbers as people write them in a form, on the command line or in a sheet: strictly
(:func:`parse_number`), with a message that says what is wrong and how to write it."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, time

from qms.models import Indicator
from qms.services.indicators.sheet_formats import Percentage

EXCEL_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}
)
SPACES = " \u00a0\u202f"  # a space, the no-break and narrow no-break spaces French Excel writes
_NUMBER = re.compile(
    rf"(?P<sign>[-+])?(?P<whole>\d{{1,3}}(?:[{SPACES}]\d{{3}})+|\d+)(?:[.,](?P<part>\d+))?",
    re.ASCII,
)


def parse_number(raw: object, indicator: Indicator | None = None) -> float:
    """A number as people write it, strictly: ``1234.5``, ``1234,5`` (decimal comma),
    ``1 234,5`` (thousands separated by a space, no-break or narrow no-break space), and
    ``12,5 %`` on an indicator measured in % only; ValueError saying what is wrong.

    Nothing else: no underscores, no digits other than 0-9, no exponent, no thousands
    comma.  A spreadsheet's number is taken as it is; one formatted as a percentage
    (stored as 0.125 for 12.5 %) only on a % indicator.
    """
    percent_unit = indicator is not None and indicator.unit.strip() == "%"
    if isinstance(raw, Percentage):
        if not percent_unit:
            shown = f"{raw.percent:g} %"
            raise ValueError(_not_percent(shown, indicator, "is formatted as a percentage"))
        return raw.percent
    if isinstance(raw, bool):
        raise ValueError(f"{'TRUE' if raw else 'FALSE'} is not a number")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("no value")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise ValueError(f"{raw} is not a number")
        return float(raw)
    if isinstance(raw, datetime | date | time):
        raise ValueError(f"a date or time ({raw}) is not a number: format the cell as a number")
    text = str(raw).strip()
    shown = _shown(text)
    if text.upper() in EXCEL_ERRORS:
        raise ValueError(f"{shown} is an error of the spreadsheet, not a number: fix its formula")
    body, percent = text, text.endswith("%")
    if percent:
        body = text[:-1].rstrip(SPACES)
        if not percent_unit:
            raise ValueError(_not_percent(shown, indicator, "has a percent sign"))
    found = _NUMBER.fullmatch(body)
    if found is None:
        raise ValueError(f"{shown} is not a number{_why_not(body)}")
    whole = re.sub(f"[{SPACES}]", "", found["whole"])
    return float(f"{found['sign'] or ''}{whole}.{found['part'] or '0'}")


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _not_percent(shown: str, indicator: Indicator | None, what: str) -> str:
    if indicator is None:
        return f"{shown} {what}: give the number alone"
    unit = f"measured in {indicator.unit.strip()}" if indicator.unit.strip() else "not a percentage"
    return f"{shown} {what}, but '{indicator.code}' is {unit}: give the number alone"


def _why_not(text: str) -> str:
    """Why ``text`` is not a number, when a likely reason can be told."""
    digits = [c for c in text if c.isdigit() and not c.isascii()]
    if digits:
        name = unicodedata.name(digits[0], "a digit").lower()
        return f" (it holds {name} '{digits[0]}': write the digits 0-9)"
    if "_" in text:
        return " (no underscores: write 1000 or 1 000)"
    if re.fullmatch(r"[-+]?[\d.,]+[eE][-+]?\d+", text):
        return " (no exponent: write the number in full, e.g. 1000 for 1e3)"
    if "," in text and "." in text:
        return " (one decimal separator, comma or point; thousands separated by a space: 1 234,5)"
    if re.fullmatch(rf"[-+]?[\d{SPACES}]+([.,]\d+)?", text):
        return " (digits are grouped by three: 1 234 567)"
    if text.count(",") + text.count(".") > 1:
        return " (one decimal separator only; thousands separated by a space: 1 234 567,5)"
    return ""
