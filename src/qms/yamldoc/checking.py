"""Checking a document against its schema, then its meaning: :func:`parse` and
:func:`parse_checked` (which still checks the meaning of the entries the schema accepts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_origin

import pydantic
from pydantic import BaseModel

from qms.errors import DefinitionError, Problem
from qms.yamldoc.document import Document, Loc
from qms.yamldoc.wording import _at, _split, _step, _unwrap, problems

ModelT = TypeVar("ModelT", bound=BaseModel)


def plain(node: Any) -> Any:
    """The tree as plain dicts, lists and scalars (what pydantic validates)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool | int | float | str) or node is None:
        return node
    return str(node)


def parse(
    doc: Document, model: type[ModelT], error: type[DefinitionError] = DefinitionError
) -> ModelT:
    """Validate the document against ``model``; every schema error becomes one Problem."""
    data = plain(doc.data)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise error(problems(doc, model, data, exc.errors())) from None


def parse_checked(
    doc: Document,
    model: type[ModelT],
    check: Callable[[Document, ModelT], Iterable[Problem]],
    error: type[DefinitionError] = DefinitionError,
    check_rest: Callable[[Document, ModelT], Iterable[Problem]] | None = None,
) -> ModelT:
    """Validate the document and check its meaning; raise every problem of both at once.

    When the schema refuses some entries, the meaning is still checked on the rest (the
    entries in error left out), so one run lists every problem; a problem that could come
    from leaving an entry out (it quotes a name found in that entry) is not reported.
    ``check_rest`` (default: ``check``) is what is checked then: leave out the checks of
    the file as a whole (a state nobody reaches...) that a missing entry would set off.
    """
    data = plain(doc.data)
    try:
        spec = model.model_validate(data)
    except pydantic.ValidationError as exc:
        found = problems(doc, model, data, exc.errors())
        found.extend(_meaning_of_the_rest(doc, model, data, exc.errors(), check_rest or check))
        raise error(found) from None
    meaning = list(check(doc, spec))
    if meaning:
        raise error(meaning)
    return spec


def _meaning_of_the_rest(
    doc: Document,
    model: type[ModelT],
    data: Any,
    errors: Sequence[Any],
    check: Callable[[Document, ModelT], Iterable[Problem]],
) -> list[Problem]:
    drop: set[Loc] = set()
    for err in errors:
        path, _, _ = _split(data, tuple(err["loc"]), err["type"])
        entry = path if err["type"] == "extra_forbidden" else _entry(model, path)
        if entry is None:
            return []
        drop.add(entry)
    kept: dict[Loc, list[int]] = {}
    rest = _without(data, drop, (), kept)
    try:
        spec = model.model_validate(rest)
    except pydantic.ValidationError:
        return []
    names = {f"'{name}'" for loc in drop for name in _names(_at(data, loc), loc)}
    try:
        found = list(check(_Renumbered(doc.path, doc.data, kept), spec))
    except Exception:  # a check surprised by the partial file: the schema problems only
        return []
    return [p for p in found if not any(name in p.message for name in names)]


def _entry(model: type[BaseModel], path: Loc) -> Loc | None:
    """The entry of a list or of a mapping of names that holds ``path`` (None: none)."""
    current: Any = model
    entry: Loc | None = None
    for i, key in enumerate(path):
        container = _unwrap(current)
        if get_origin(container) in (list, dict, tuple, Sequence, Mapping):
            entry = path[: i + 1]
        current = _step(current, key)
        if current is None:
            break
    if entry is None and len(path) >= 1:
        field = model.model_fields.get(str(path[0]))
        if field is not None and not field.is_required():
            entry = path[:1]
    return entry


def _without(node: Any, drop: set[Loc], here: Loc, kept: dict[Loc, list[int]]) -> Any:
    if isinstance(node, dict):
        return {
            k: _without(v, drop, (*here, k), kept)
            for k, v in node.items()
            if (*here, k) not in drop
        }
    if isinstance(node, list):
        keep = [i for i in range(len(node)) if (*here, i) not in drop]
        if len(keep) != len(node):
            kept[here] = keep
        return [_without(node[i], drop, (*here, i), kept) for i in keep]
    return node


def _names(node: Any, loc: Loc) -> Iterable[str]:
    if loc and isinstance(loc[-1], str):
        yield loc[-1]
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and item:
            yield item


@dataclass(frozen=True)
class _Renumbered(Document):
    """The document as the meaning checks see it with entries left out: their list
    indices are those of the entries kept, turned back into the file's own."""

    kept: Mapping[Loc, list[int]] = field(default_factory=dict)

    def line(self, loc: Loc) -> int:
        original: list[str | int] = []
        for key in loc:
            keep = self.kept.get(tuple(original))
            if keep is not None and isinstance(key, int) and 0 <= key < len(keep):
                key = keep[key]
            original.append(key)
        return super().line(tuple(original))
