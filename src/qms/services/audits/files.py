"""The files the audit services read: the per-process audit templates (importance and
checklist questions) under ``workflows/checklists/``, ``default.yaml`` for the others.

An institution whose workflows folder has no ``checklists/default.yaml`` gets
:data:`BUILT_IN_DEFAULT`: medium importance and one question per clause every process
answers to, the same as the example institution's ``default.yaml``."""

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


_DEFAULT_QUESTIONS = (
    ("4.4", "Are the process's inputs, outputs, resources and interfaces described and current?"),
    ("5.3", "Are the pilot and correspondents named, and do they know their responsibilities?"),
    ("6.1", "Are the process's risks and opportunities identified, "
     "with actions to address them?"),
    ("6.2", "Does the process have measurable quality objectives, and are they followed?"),
    ("7.2", "Are the people working in the process competent, with evidence of it?"),
    ("7.5", "Are the process's documents controlled and its records kept and retrievable?"),
    ("8.1", "Is the process carried out as planned, under the criteria set for it?"),
    ("9.1", "Are the process's indicators measured at their frequency and analysed?"),
    ("10.2", "Are nonconformities of the process recorded, analysed and corrected, "
     "with effectiveness checked?"),
    ("9.2", "Were the findings of the previous audit followed up and closed?"),
)  # fmt: skip
BUILT_IN_DEFAULT = Template(
    DEFAULT_TEMPLATE,
    Importance("medium"),
    _DEFAULT_QUESTIONS,
    f"the built-in default checklist (no {TEMPLATES_FOLDER}/{DEFAULT_TEMPLATE}.yaml)",
)


def template_for(workflows_dir: Path, process_code: str) -> Template:
    """The audit template of a process: its own file in the configured workflows folder, else
    that folder's ``default.yaml``, else :data:`BUILT_IN_DEFAULT`."""
    folder = Path(workflows_dir) / TEMPLATES_FOLDER
    for path in (folder / f"{process_code}.yaml", folder / f"{DEFAULT_TEMPLATE}.yaml"):
        if path.exists():
            return _read_template(path.resolve())
    return BUILT_IN_DEFAULT
