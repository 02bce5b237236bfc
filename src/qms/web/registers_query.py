"""What a register's address asks for: its filters, sort, page and format, each checked
against what the person may see and named by its field when it is wrong.

The address is the whole state of a register page (a link can be bookmarked or sent):
``process``, ``macro``, ``owner``, ``state`` (repeatable), ``overdue=1``, ``origin`` or
``source``, ``since``, ``until``, ``sort``, ``dir``, ``page`` and ``format``. The same
names are the filter form's fields, so that the form works without JavaScript.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from qms.services.capa.queries import Filters
from qms.services.capa.register_pages import Choices
from qms.web.i18n import _
from qms.web.registers_spec import Register

PAGE_SIZE = 50
FORMATS = ("csv", "xlsx")
YES = ("1", "on", "true", "yes")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SHOWN = 60  # characters of a wrong value repeated in its message


@dataclass(frozen=True)
class Asked:
    filters: Filters
    sort: str
    descending: bool
    page: int
    format: str
    values: dict[str, str | list[str]]  # as typed: to refill the form and keep in links
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def parse(
    params: QueryParams, register: Register, choices: Choices, states: Sequence[str]
) -> Asked:
    """The register's query, with a message per wrong field (then nothing is listed)."""
    one = {name: (params.get(name) or "").strip() for name in _single_names(register)}
    values: dict[str, str | list[str]] = {k: v for k, v in one.items() if v}
    chosen = [s.strip() for s in params.getlist("state") if s.strip()]
    if chosen:
        values["state"] = chosen
    errors: dict[str, str] = {}

    def among(name: str, allowed: Sequence[str], message: str) -> str | None:
        value = one.get(name, "")
        if value and value not in allowed:
            errors[name] = message % {"value": value[:_SHOWN]}
        return value or None

    process = among("process", [c[0] for c in choices.processes], _("unknown process “%(value)s”"))
    macro = among(
        "macro", [c[0] for c in choices.macro_processes], _("unknown macro-process “%(value)s”")
    )
    owner = among("owner", [c[0] for c in choices.owners], _("“%(value)s” owns no action you see"))
    origin = among(register.origin_param, register.origins, _("unknown value “%(value)s”"))
    for state in chosen:
        if state not in states:
            errors["state"] = _("“%(value)s” is not a state of this register") % {
                "value": state[:_SHOWN]
            }
    since, until = _day(one["since"], "since", errors), _day(one["until"], "until", errors)
    sort = among("sort", register.sorts, _("no column “%(value)s” to sort by"))
    direction = among("dir", ("asc", "desc"), _("“%(value)s” is neither asc nor desc"))
    fmt = among("format", FORMATS, _("“%(value)s” is neither csv nor xlsx"))
    overdue = _overdue(one["overdue"], errors)
    filters = Filters(
        process=process,
        macro_process=macro,
        owner=owner if register.has_owner else None,
        states=tuple(chosen),
        overdue=overdue,
        origin=origin,
        since=since,
        until=until,
    )
    sort = sort if sort in register.sorts else register.default_sort
    descending = (
        direction == "desc"
        if direction
        else sort == register.default_sort and register.default_descending
    )
    page = _page(one["page"], errors)
    return Asked(filters, sort, descending, page, fmt or "", values, errors)


def _single_names(register: Register) -> list[str]:
    names = ["process", "macro", *(["owner"] if register.has_owner else []), register.origin_param]
    return [*names, "since", "until", "overdue", "sort", "dir", "page", "format"]


def _day(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("“%(value)s” is not a date (YYYY-MM-DD)") % {"value": value[:_SHOWN]}
        return None


def _overdue(value: str, errors: dict[str, str]) -> bool:
    if value and value.lower() not in (*YES, "0", "off", "false", "no"):
        errors["overdue"] = _("“%(value)s”: 1 for overdue only, or nothing") % {
            "value": value[:_SHOWN]
        }
    return value.lower() in YES


def _page(value: str, errors: dict[str, str]) -> int:
    if not value:
        return 1
    if not value.isdigit() or not 1 <= int(value) <= 10**7:
        errors["page"] = _("“%(value)s” is not a page number") % {"value": value[:_SHOWN]}
        return 1
    return int(value)


def link(path: str, values: dict[str, str | list[str]], **changes: str | None) -> str:
    """``path`` with the query ``values``, some of them changed (None: left out)."""
    merged: dict[str, str | list[str] | None] = {**values, **changes}
    pairs: list[tuple[str, str]] = []
    for name, value in merged.items():
        for one in [value] if isinstance(value, str) else value or []:
            if one:
                pairs.append((name, one))
    return f"{path}?{urlencode(pairs)}" if pairs else path
