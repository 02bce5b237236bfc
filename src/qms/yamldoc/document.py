"""The parsed tree of a YAML file with the path as the user named it, and the line of a key."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from qms.errors import Problem

Loc = tuple[str | int, ...]


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


def _short(text: str, most: int = 40) -> str:
    return text if len(text) <= most else text[: most - 3] + "..."


def dotted(loc: Iterable[str | int]) -> str:
    text = ""
    for key in loc:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text
