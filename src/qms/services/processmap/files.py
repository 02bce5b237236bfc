"""The process map file (``workflows/process-map.yaml``): its schema and its checks."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

from pydantic import Field

from qms import yamldoc
from qms.errors import DefinitionError, Problem
from qms.models import MacroProcess, Organisation, Person, Process
from qms.models.text import IDENTIFIER, rule_for
from qms.services.shared import SpecFreeText, spec_text
from qms.yamldoc import Document, Loc, Spec

CODE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"
HANDLE = r"^[a-z][a-z0-9._-]*$"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
yamldoc.describe_pattern(CODE, "a code in capitals, digits and dashes like TRN-01")
yamldoc.describe_pattern(HANDLE, "a handle in lowercase like jdupont (letters, digits, . _ -)")


# Lengths come from the models' columns; characters are checked before the pattern, so a
# NUL or a bidi override is named as such (qms.models.text has the rules).
Handle = Annotated[str, spec_text(rule_for(Person, "handle"))]
HandleRef = Annotated[str, spec_text(IDENTIFIER)]  # names a person defined in the file
ProcessRef = Annotated[str, spec_text(IDENTIFIER)]  # names a process defined in the file


class OrganisationSpec(Spec):
    code: Annotated[str, spec_text(rule_for(Organisation, "code"))] = Field(pattern=CODE)
    name: Annotated[str, spec_text(rule_for(Organisation, "name"))] = Field(min_length=1)


class PersonSpec(Spec):
    id: Handle = Field(pattern=HANDLE)
    name: Annotated[str, spec_text(rule_for(Person, "name"))] = Field(min_length=1)
    email: Annotated[str, spec_text(rule_for(Person, "email"))]
    active: bool = True


class InputSpec(Spec):
    item: SpecFreeText = Field(min_length=1)
    provider: SpecFreeText = Field(min_length=1)


class OutputSpec(Spec):
    item: SpecFreeText = Field(min_length=1)
    receiver: SpecFreeText = Field(min_length=1)


class ProcessSpec(Spec):
    code: Annotated[str, spec_text(rule_for(Process, "code"))] = Field(pattern=CODE)
    name: Annotated[str, spec_text(rule_for(Process, "name"))] = Field(min_length=1)
    purpose: Annotated[str, spec_text(rule_for(Process, "purpose"))] = ""
    pilot: HandleRef
    correspondents: list[HandleRef] = []
    contributors: list[HandleRef] = []
    inputs: list[InputSpec] = []
    outputs: list[OutputSpec] = []
    interfaces: list[ProcessRef] = []
    resources: list[SpecFreeText] = []
    risks: list[SpecFreeText] = []


class MacroProcessSpec(Spec):
    code: Annotated[str, spec_text(rule_for(MacroProcess, "code"))] = Field(pattern=CODE)
    name: Annotated[str, spec_text(rule_for(MacroProcess, "name"))] = Field(min_length=1)
    processes: list[ProcessSpec] = Field(min_length=1)


class OrganisationRolesSpec(Spec):
    directors: list[HandleRef] = Field(min_length=1)
    quality_managers: list[HandleRef] = Field(min_length=1)
    auditors: list[HandleRef] = []


class ProcessMapSpec(Spec):
    organisation: OrganisationSpec
    people: list[PersonSpec] = Field(min_length=1)
    roles: OrganisationRolesSpec
    macro_processes: list[MacroProcessSpec] = Field(min_length=1)


def read(path: Path | str) -> ProcessMapSpec:
    """Parse and check a process map file; raise DefinitionError listing every problem."""
    doc = yamldoc.load(path)
    return yamldoc.parse_checked(doc, ProcessMapSpec, check, DefinitionError)


def check(doc: Document, spec: ProcessMapSpec) -> Iterable[Problem]:
    yield from _check_people(doc, spec)
    handles = {p.id: p for p in spec.people}
    for key in ("directors", "quality_managers", "auditors"):
        for i, handle in enumerate(getattr(spec.roles, key)):
            yield from _known(doc, ("roles", key, i), handle, handles, f"roles.{key}", "person")
    yield from _duplicates(
        doc,
        "macro-process",
        [(("macro_processes", i, "code"), m.code) for i, m in enumerate(spec.macro_processes)],
    )
    located = list(_processes(spec))
    yield from _duplicates(doc, "process", [((*loc, "code"), p.code) for loc, p in located])
    codes = {p.code for _, p in located}
    for loc, process in located:
        yield from _check_process(doc, loc, process, handles, codes)


def _processes(spec: ProcessMapSpec) -> Iterable[tuple[Loc, ProcessSpec]]:
    for i, macro in enumerate(spec.macro_processes):
        for j, process in enumerate(macro.processes):
            yield ("macro_processes", i, "processes", j), process


def _check_people(doc: Document, spec: ProcessMapSpec) -> Iterable[Problem]:
    yield from _duplicates(
        doc, "person", [(("people", i, "id"), p.id) for i, p in enumerate(spec.people)]
    )
    yield from _duplicates(
        doc,
        "e-mail",
        [(("people", i, "email"), p.email.lower()) for i, p in enumerate(spec.people)],
    )
    for i, person in enumerate(spec.people):
        if not EMAIL.match(person.email):
            yield doc.problem(
                ("people", i, "email"),
                f"person '{person.id}' has an invalid e-mail address {person.email!r}",
            )


def _check_process(
    doc: Document, loc: Loc, process: ProcessSpec, handles: dict[str, PersonSpec], codes: set[str]
) -> Iterable[Problem]:
    what = f"process '{process.code}'"
    yield from _known(doc, (*loc, "pilot"), process.pilot, handles, what, "pilot")
    pilot = handles.get(process.pilot)
    if pilot is not None and not pilot.active:
        yield doc.problem(
            (*loc, "pilot"),
            f"{what} names inactive person '{process.pilot}' "
            "as pilot (clause 4.4 e: every process needs a pilot in post)",
        )
    for key in ("correspondents", "contributors"):
        for i, handle in enumerate(getattr(process, key)):
            yield from _known(doc, (*loc, key, i), handle, handles, what, key[:-1])
    for i, code in enumerate(process.interfaces):
        if code not in codes:
            yield doc.problem(
                (*loc, "interfaces", i), f"{what} names unknown interface process '{code}'"
            )
        elif code == process.code:
            yield doc.problem((*loc, "interfaces", i), f"{what} names itself as an interface")


def _known(
    doc: Document, loc: Loc, handle: str, handles: dict[str, PersonSpec], subject: str, noun: str
) -> Iterable[Problem]:
    if handle not in handles:
        yield doc.problem(loc, f"{subject} names unknown {noun} '{handle}'")


def _duplicates(doc: Document, what: str, items: list[tuple[Loc, str]]) -> Iterable[Problem]:
    first: dict[str, Loc] = {}
    for loc, value in items:
        if value in first:
            yield doc.problem(
                loc, f"duplicate {what} '{value}' (first at line {doc.line(first[value])})"
            )
        else:
            first[value] = loc
