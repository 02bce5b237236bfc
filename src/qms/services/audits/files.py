"""The files the audit services read: the per-process audit templates (importance and
checklist questions) under ``workflows/checklists/``, ``default.yaml`` for the others."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import Field

from qms import yamldoc
from qms.services.audits.common import Importance

TEMPLATES_FOLDER = "checklists"
DEFAULT_TEMPLATE = "default"


class QuestionSpec(yamldoc.Spec):
    clause: str = Field(min_length=1)
    question: str = Field(min_length=1)


class TemplateSpec(yamldoc.Spec):
    process: str
    importance: Literal["high", "medium", "low"]
    questions: list[QuestionSpec] = Field(min_length=1)


@dataclass(frozen=True)
class Template:
    process: str
    importance: Importance
    questions: tuple[tuple[str, str], ...]  # (clause, question)
    source: str


@cache
def _read_template(path: Path) -> Template:
    doc = yamldoc.load(path)
    spec = yamldoc.parse(doc, TemplateSpec)
    return Template(
        spec.process,
        Importance(spec.importance),
        tuple((q.clause, q.question) for q in spec.questions),
        str(path),
    )


def template_for(workflows_dir: Path, process_code: str) -> Template:
    """The audit template of a process: its own file, else ``default.yaml``."""
    folder = Path(workflows_dir) / TEMPLATES_FOLDER
    own = folder / f"{process_code}.yaml"
    path = own if own.exists() else folder / f"{DEFAULT_TEMPLATE}.yaml"
    return _read_template(path.resolve())
