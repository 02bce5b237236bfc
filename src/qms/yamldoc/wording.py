"""Pydantic's schema errors in the words of the file: one :class:`~qms.errors.Problem` each,
at its line, saying what the file gives and what it should be."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from qms.errors import Problem
from qms.yamldoc.document import Document, Loc, _short, dotted
from qms.yamldoc.fields import PATTERN_WORDS


def problems(
    doc: Document, model: type[BaseModel], data: Any, errors: Sequence[Any]
) -> list[Problem]:
    """Pydantic's errors in the words of the file, one Problem each (a union's: one)."""
    found: list[Problem] = []
    unions: dict[Loc, list[tuple[str, Loc, Any]]] = {}
    for err in errors:
        path, tag, rest = _split(data, tuple(err["loc"]), err["type"])
        if tag is None:
            found.append(_problem(doc, model, data, path, err))
        else:
            unions.setdefault(path, []).append((tag, rest, err))
    for path, members in unions.items():
        found.extend(_union_problems(doc, model, data, path, members))
    return list(dict.fromkeys(found))


def _split(data: Any, loc: Loc, kind: str) -> tuple[Loc, str | None, Loc]:
    """The path in the file, the union member pydantic tried there (if any), and the rest."""
    path: list[str | int] = []
    node = data
    for i, key in enumerate(loc):
        last = i == len(loc) - 1
        if _has(node, key):
            node = node[key]
        elif isinstance(key, str) and not (last and kind == "missing"):
            return tuple(path), key, loc[i + 1 :]
        path.append(key)
    return tuple(path), None, ()


def _has(node: Any, key: str | int) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


def _union_problems(
    doc: Document,
    model: type[BaseModel],
    data: Any,
    path: Loc,
    members: list[tuple[str, Loc, Any]],
) -> list[Problem]:
    deeper = [(tag, rest, err) for tag, rest, err in members if rest]
    if deeper:  # a member matched the shape (a list of...): its own errors are the ones
        best = deeper[0][0]
        return [
            _problem(doc, model, data, _split(data, (*path, *rest), err["type"])[0], err)
            for tag, rest, err in deeper
            if tag == best
        ]
    words = [w for w in dict.fromkeys(_expected(err) for _, _, err in members) if w]
    if "a number" in words and "a whole number" in words:
        words.remove("a whole number")
    value = _at(data, path)
    message = f"should be {' or '.join(words) or 'something else'}, not {_given(value)}"
    return [doc.problem(path, _where(path, message))]


TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "date_type": "a date like 2026-03-31",
    "date_parsing": "a date like 2026-03-31",
    "date_from_datetime_parsing": "a date like 2026-03-31",
    "date_text": "a date like 2026-03-31",
    "none_required": "empty",
}


def _expected(err: Any) -> str:
    kind = err["type"]
    if kind in TYPE_WORDS:
        return TYPE_WORDS[kind]
    if kind in ("enum", "literal_error"):
        return f"one of {err.get('ctx', {}).get('expected', '')}"
    return ""


def _problem(doc: Document, model: type[BaseModel], data: Any, path: Loc, err: Any) -> Problem:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = _at(data, path)
    if kind == "missing":
        message = f"missing key '{path[-1]}'" + (f" in {dotted(path[:-1])}" if path[:-1] else "")
        return doc.problem(path, message)
    if kind == "extra_forbidden":
        return doc.problem(path, _unknown_key(model, path))
    if not path and kind in ("model_type", "dict_type"):
        return doc.problem(
            path,
            f"the file should be a mapping of keys (lines like 'key: value'), not {_given(value)}",
        )
    if kind in TYPE_WORDS or kind in ("enum", "literal_error"):
        message = f"should be {_expected(err)}, not {_given(value)}"
    elif kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        words = PATTERN_WORDS.get(pattern, f"text of the form {pattern}")
        message = f"should be {words}, not {_given(value)}"
    elif kind == "string_too_short":
        n = ctx.get("min_length", 1)
        message = "should not be empty" if n == 1 else f"should be at least {n} characters long"
    elif kind == "string_too_long":
        n = ctx.get("max_length")
        message = f"should be at most {n} characters long (it has {len(str(value))})"
    elif kind == "too_short":
        n = ctx.get("min_length", 1)
        noun = "entry" if isinstance(value, dict) else "item"
        message = f"should list at least {n} {noun}{'s' if n != 1 else ''}"
        message += " (it is empty)" if not value else ""
    elif kind == "too_long":
        n = ctx.get("max_length")
        message = f"should list at most {n} items (it lists {len(value or ())})"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(ctx.values()), "")
        side = {
            "greater_than_equal": f"{bound} or more",
            "greater_than": f"more than {bound}",
            "less_than_equal": f"{bound} or less",
            "less_than": f"less than {bound}",
        }[kind]
        message = f"should be {side}, not {_given(value)}"
    elif kind == "finite_number":
        message = "should be a finite number"
    elif kind == "date_impossible":
        message = f"'{ctx.get('text', value)}' is not a day of the calendar"
    else:
        text = str(err["msg"]).removeprefix("Value error, ")
        message = text[:1].lower() + text[1:]
    return doc.problem(path, _where(path, message))


def _where(path: Loc, message: str) -> str:
    return f"{dotted(path)}: {message}" if path else f"the file {message}"


def _unknown_key(model: type[BaseModel], path: Loc) -> str:
    message = f"unknown key '{dotted(path)}'"
    known = _keys_at(model, path[:-1])
    if known:
        close = difflib.get_close_matches(str(path[-1]), known, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        message += f" ({hint}known keys here: {', '.join(known)})"
    return message


def _keys_at(model: type[BaseModel], path: Loc) -> list[str]:
    """The keys the schema allows at ``path`` (empty when it cannot tell)."""
    current: Any = model
    for key in path:
        current = _step(current, key)
        if current is None:
            return []
    found = _model_in(current)
    if found is None:
        return []
    return [f.alias or name for name, f in found.model_fields.items()]


def _model_in(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        models = [m for m in members if _model_in(m) is not None]
        return models[0] if models else (members[0] if len(members) == 1 else annotation)
    return annotation


def _step(annotation: Any, key: str | int) -> Any:
    annotation = _unwrap(annotation)
    model = _model_in(annotation)
    if model is not None and isinstance(key, str):
        for name, field in model.model_fields.items():
            if key in (name, field.alias):
                return field.annotation
        return None
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (list, tuple, Sequence, typing.Sequence) and isinstance(key, int) and args:
        return args[0]
    if origin in (dict, Mapping, typing.Mapping) and len(args) == 2:
        return args[1]
    return None


def _at(data: Any, path: Loc) -> Any:
    node = data
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _given(value: Any) -> str:
    """What the file gives, in words: ``a list``, ``the text 'abc'``, ``the number 3``."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, str):
        return f"the text '{_short(value)}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    return f"'{_short(str(value))}'"
