"""The indicators file (clause 9.1): ``workflows/indicators.yaml``, read and checked.

The indicators file is checked like the process map: every mistake is one
``file:line: message``, and the whole file is refused when any is found.  Process codes
and people are checked against the process map beside the file (``check``) or against the
database (``load``).  The measurements files (CSV or XLSX) are read by
:mod:`qms.services.indicators.sheets`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

from pydantic import Field

from qms import yamldoc
from qms.errors import DefinitionError, Problem
from qms.models import Direction, Frequency, Indicator, Topic
from qms.models.text import rule_for
from qms.services.indicators import periods as indicators_periods
from qms.services.processmap.files import CODE, HANDLE, HandleRef, ProcessRef
from qms.services.shared import spec_text
from qms.yamldoc import Document, Spec

INDICATOR_CODE = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$"


class IndicatorSpec(Spec):
    # Lengths from the Indicator model's columns; characters checked before the patterns.
    code: Annotated[str, spec_text(rule_for(Indicator, "code"))] = Field(pattern=INDICATOR_CODE)
    process: ProcessRef = Field(pattern=CODE)
    name: Annotated[str, spec_text(rule_for(Indicator, "name"))] = Field(min_length=1)
    measures: Annotated[str, spec_text(rule_for(Indicator, "measures"))] = Field(min_length=1)
    method: Annotated[str, spec_text(rule_for(Indicator, "method"))] = ""
    unit: Annotated[str, spec_text(rule_for(Indicator, "unit"))] = ""
    # Not strict: the file gives enums as strings, and the enum's error lists the valid ones.
    direction: Direction = Field(strict=False)
    target: float | int
    alert_threshold: float | int
    frequency: Frequency = Field(strict=False)
    data_source: Annotated[str, spec_text(rule_for(Indicator, "data_source"))] = Field(min_length=1)
    owner: HandleRef | None = Field(None, pattern=HANDLE)
    about: list[Annotated[Topic, Field(strict=False)]] = []
    minimum: float | int | None = None
    maximum: float | int | None = None
    due_days: int = Field(30, ge=0, le=366)
    since: str | int | None = None


class IndicatorsSpec(Spec):
    indicators: list[IndicatorSpec] = Field(min_length=1)


def read(
    path: Path | str, processes: set[str] | None = None, people: set[str] | None = None
) -> IndicatorsSpec:
    """Parse and check an indicators file; DefinitionError lists every problem.

    ``processes`` and ``people`` are the codes and handles that exist; when not given
    they are read from ``process-map.yaml`` beside the file, if there is one.
    """
    doc = yamldoc.load(path)
    if processes is None or people is None:
        processes, people = _beside(Path(path))
    known_processes, known_people = processes, people
    return yamldoc.parse_checked(
        doc,
        IndicatorsSpec,
        lambda d, spec: check(d, spec, known_processes, known_people),
        DefinitionError,
    )


def _beside(path: Path) -> tuple[set[str] | None, set[str] | None]:
    from qms.services.processmap import files as processmap_file

    map_path = path.parent / "process-map.yaml"
    if not map_path.is_file():
        return None, None
    spec = processmap_file.read(map_path)
    codes = {p.code for m in spec.macro_processes for p in m.processes}
    return codes, {p.id for p in spec.people}


def check(
    doc: Document, spec: IndicatorsSpec, processes: set[str] | None, people: set[str] | None
) -> Iterable[Problem]:
    first: dict[str, int] = {}
    for i, indicator in enumerate(spec.indicators):
        loc = ("indicators", i)
        if indicator.code in first:
            yield doc.problem(
                (*loc, "code"),
                f"duplicate indicator '{indicator.code}' "
                f"(first at line {doc.line(('indicators', first[indicator.code], 'code'))})",
            )
        else:
            first[indicator.code] = i
        yield from _check_one(doc, loc, indicator, processes, people)


def _check_one(
    doc: Document,
    loc: tuple[str, int],
    spec: IndicatorSpec,
    processes: set[str] | None,
    people: set[str] | None,
) -> Iterable[Problem]:
    what = f"indicator '{spec.code}'"
    if processes is not None and spec.process not in processes:
        yield doc.problem((*loc, "process"), f"{what} names unknown process '{spec.process}'")
    if people is not None and spec.owner is not None and spec.owner not in people:
        yield doc.problem((*loc, "owner"), f"{what} names unknown owner '{spec.owner}'")
    yield from _check_numbers(doc, loc, spec, what)
    if spec.since is not None:
        try:
            indicators_periods.parse(str(spec.since), spec.frequency)
        except ValueError as exc:
            yield doc.problem((*loc, "since"), f"{what}: since: {exc}")


def _check_numbers(
    doc: Document, loc: tuple[str, int], spec: IndicatorSpec, what: str
) -> Iterable[Problem]:
    for key in ("target", "alert_threshold", "minimum", "maximum"):
        value = getattr(spec, key)
        if value is not None and not math.isfinite(value):
            yield doc.problem((*loc, key), f"{what}: {key} must be a finite number")
    higher = spec.direction == Direction.HIGHER
    if (spec.alert_threshold > spec.target) if higher else (spec.alert_threshold < spec.target):
        side = "above" if higher else "below"
        yield doc.problem(
            (*loc, "alert_threshold"),
            f"{what}: the alert threshold {_g(spec.alert_threshold)} is {side} the target "
            f"{_g(spec.target)}, but {spec.direction.value} is better: the alert would sound "
            "before the target is missed",
        )
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None and low >= high:
        yield doc.problem(
            (*loc, "maximum"), f"{what}: maximum {_g(high)} is not above minimum {_g(low)}"
        )
    for key in ("target", "alert_threshold"):
        value = getattr(spec, key)
        if (low is not None and value < low) or (high is not None and value > high):
            yield doc.problem(
                (*loc, key), f"{what}: {key} {_g(value)} is outside [{_g(low)}, {_g(high)}]"
            )


def _g(value: float | None) -> str:
    return "" if value is None else f"{value:g}"
