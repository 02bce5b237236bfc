"""The registers of improvement actions and nonconformities (clauses 10.3, 10.2).

``/actions`` and ``/nonconformities``: filtered as ``qms action list`` and ``qms nc list``
filter, sorted by a click on a column's heading, 50 rows a page, and downloaded whole as
CSV or XLSX (``format=``). A person sees, and may filter by, only what their roles let
them see (``services/visibility.py``); the database filters, counts, sorts and pages
(``services/capa/register_pages.py``), so a page costs the same with 100,000 actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from qms.bootstrap import Services
from qms.models import Person
from qms.reporting.words import Words, words_for
from qms.services import visibility
from qms.services.capa import register_pages as queries
from qms.services.capa.queries import Filters
from qms.services.capa.register_pages import Listing, Page
from qms.web import registers_query as query
from qms.web.auth import Me
from qms.web.pages import page
from qms.web.registers_export import download
from qms.web.registers_spec import ACTIONS, NONCONFORMITIES, Register, labelled
from qms.web.security import services_of

router = APIRouter()


@router.get("/actions")
def actions(request: Request, me: Me) -> Response:
    return show(request, me.person_id, ACTIONS)


@router.get("/nonconformities")
def nonconformities(request: Request, me: Me) -> Response:
    return show(request, me.person_id, NONCONFORMITIES)


def show(request: Request, person_id: int, register: Register) -> Response:
    """The register as the signed-in person may see it, or its export."""
    services = services_of(request)
    today = services.engine.today()
    definition = services.registry.for_kind(register.kind)
    states = list(definition.states)
    with services.database.reading() as session:
        person = session.get(Person, person_id)
        assert person is not None  # a signed-in account has its person
        scope = visibility.scope(session, person, today)
        choices = queries.register_choices(session, scope)
        asked = query.parse(request.query_params, register, choices, states)
        words = words_for(session, services.registry)
        listing = Listing(
            asked.sort,
            asked.descending,
            query.PAGE_SIZE,
            asked.offset,
            states=states,
            grades=services.settings.severities,
        )
        context = _context(register, asked, choices, states, words, scope, services)
        if asked.errors:
            return page(request, register.template, {**context, "found": None}, 400)
        if asked.format:
            every = replace(listing, limit=None, offset=0)
            rows = register.query(session, asked.filters, today, scope, every).rows
        else:
            found, offset = _page_of(session, register, asked.filters, today, scope, listing)
    if asked.format:
        return download(register, asked.format, rows, words, today)
    context.update(found=found, first=offset + 1, last=offset + len(found.rows))
    context.update(_pages(register, asked, offset, found.total))
    return page(request, register.template, context)


def _context(
    register: Register,
    asked: query.Asked,
    choices: queries.Choices,
    states: list[str],
    words: Words,
    scope: visibility.Scope,
    services: Services,
) -> dict[str, Any]:
    """What the page shows whatever its rows: the filters, their choices, the labels."""
    return {
        "register": register,
        "asked": asked,
        "choices": choices,
        "states": labelled(states, lambda s: words.state(register.kind, s)),
        "origins": labelled(register.origins, lambda o: words.term(register.origin_group, o)),
        "words": words,
        "labels": {
            "state": Labels(lambda code: words.state(register.kind, code)),
            **{group: Labels(partial(words.term, group)) for group in LABELLED},
        },
        "everything": scope.everything,
        "severest": services.settings.severities[0],
        "link": lambda **changes: query.link(register.path, asked.values, **changes),
    }


# The codes of a row's columns shown by their labels (reporting.words's TERMS groups).
LABELLED = ("priority", "origin", "severity", "source")


class Labels(dict[str, str]):
    """Each code's label, worked out once a page (a template reads it by subscript, cheaper
    than a call per row)."""

    def __init__(self, label: Callable[[str], str]) -> None:
        super().__init__()
        self.label = label

    def __missing__(self, code: str) -> str:
        self[code] = found = self.label(code)
        return found


def _page_of(
    session: Session,
    register: Register,
    filters: Filters,
    today: date,
    scope: visibility.Scope,
    listing: Listing,
) -> tuple[Page[Any], int]:
    """The page asked for and where it starts; past the last page, the last page."""
    found = register.query(session, filters, today, scope, listing)
    if found.rows or not found.total:
        return found, listing.offset
    last = (found.total - 1) // query.PAGE_SIZE * query.PAGE_SIZE
    return register.query(session, filters, today, scope, replace(listing, offset=last)), last


def _pages(register: Register, asked: query.Asked, offset: int, total: int) -> dict[str, Any]:
    """The links to the previous and next pages (None at either end)."""
    number = offset // query.PAGE_SIZE + 1
    later = offset + query.PAGE_SIZE < total

    def to(page_number: int) -> str:
        return query.link(
            register.path, asked.values, page=str(page_number) if page_number > 1 else None
        )

    return {
        "previous_page": to(number - 1) if number > 1 else None,
        "next_page": to(number + 1) if later else None,
    }
