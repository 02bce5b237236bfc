"""YAML files that people write, read with their line numbers so every error can point at one.

A :class:`Document` keeps the parsed tree (ruamel.yaml keeps each key's line) and the
path as the user named it.  :func:`parse` checks the tree against a pydantic model and
turns each schema error into a :class:`~qms.errors.Problem` with file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from qms.errors import DefinitionError, Problem

Loc = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)


class Spec(BaseModel):
    """Base of every file schema: unknown keys are errors, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


@dataclass(frozen=True)
class Document:
    path: str
    data: Any

    def line(self, loc: Loc) -> int:
        """The 1-based line of the deepest key of ``loc`` present in the file."""
        node, line = self.data, 1
        for key in loc:
            found = _line_of(node, key)
            if found is None:
                break
            line = found + 1
            node = node[key]
        return line

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.path, self.line(loc), message)


def _line_of(node: Any, key: str | int) -> int | None:
    try:
        if isinstance(node, CommentedMap) and key in node:
            return int(node.lc.key(key)[0])
        if isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            return int(node.lc.item(key)[0])
    except (KeyError, IndexError, TypeError):
        return None
    return None


def load(path: Path | str, error: type[DefinitionError] = DefinitionError) -> Document:
    """Read a YAML file; a syntax error becomes a DefinitionError with its line."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error([Problem(shown, 0, "file not found")]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise error([Problem(shown, 0, f"cannot read: {exc}")]) from exc
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise error([Problem(shown, line, f"bad YAML: {exc.problem or exc.context}")]) from exc
    if data is None:
        raise error([Problem(shown, 1, "the file is empty")])
    return Document(shown, data)


def plain(node: Any) -> Any:
    """The tree as plain dicts, lists and scalars (what pydantic validates)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if hasattr(node, "isoformat") or isinstance(node, bool | int | float | str) or node is None:
        return node
    return str(node)


def parse(
    doc: Document, model: type[ModelT], error: type[DefinitionError] = DefinitionError
) -> ModelT:
    """Validate the document against ``model``; every schema error becomes one Problem."""
    try:
        return model.model_validate(plain(doc.data))
    except pydantic.ValidationError as exc:
        raise error([_problem(doc, err) for err in exc.errors()]) from exc


def _problem(doc: Document, err: Any) -> Problem:
    loc: Loc = tuple(err["loc"])
    where = dotted(loc)
    kind = err["type"]
    if kind == "missing":
        message = f"missing key '{loc[-1]}'" + (f" in {dotted(loc[:-1])}" if loc[:-1] else "")
    elif kind == "extra_forbidden":
        message = f"unknown key '{where}'"
    else:
        message = f"{where}: {err['msg'][0].lower()}{err['msg'][1:]}"
    return doc.problem(loc, message)


def dotted(loc: Sequence[str | int]) -> str:
    text = ""
    for key in loc:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
