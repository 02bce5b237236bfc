"""Reading a YAML file safely: within the size and depth limits, without aliases, anchors
or tags, dates as text, every refusal a ``file:line: message``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, NodeEvent
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

from qms.errors import DefinitionError, Problem
from qms.yamldoc.document import Document, _short

DEFAULT_MAX_BYTES = 1_048_576
DEFAULT_MAX_DEPTH = 32


@dataclass(frozen=True)
class Limits:
    """How big and how deep a YAML file qms agrees to read."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH


def current_limits() -> Limits:
    """The limits of the installation (``QMS_YAML_MAX_BYTES``, ``QMS_YAML_MAX_DEPTH``)."""
    from qms.config import get_settings

    settings = get_settings()
    return Limits(settings.yaml_max_bytes, settings.yaml_max_depth)


# --- reading ------------------------------------------------------------------------------


class _Refused(MarkedYAMLError):
    """Something qms does not read in a YAML file, at a mark."""


class _Scanner(RoundTripScanner):
    """Counts ``[`` and ``{`` as they are scanned: a deep flow collection is refused at once
    (ruamel's scanner slows down quadratically with the flow depth)."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:  # noqa: N803
        limit = self.loader.qms_limits.max_depth
        if len(self.flow_context) >= limit:
            raise _Refused(None, None, _deep(limit), self.reader.get_mark())
        super().fetch_flow_collection_start(TokenClass, to_push)


class _Composer(Composer):
    """Refuses aliases, anchors, explicit tags and nesting deeper than the limit."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise _Refused(
                None,
                None,
                f"alias '*{event.anchor}': qms files do not use aliases or anchors "
                "(write the value out in full)",
                event.start_mark,
            )
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _Refused(
                None,
                None,
                f"anchor '&{event.anchor}': qms files do not use anchors or aliases "
                "(write the value out in full)",
                event.start_mark,
            )
        tag = getattr(event, "tag", None)
        if tag is not None and str(tag) not in ("", "None"):
            raise _Refused(
                None,
                None,
                f"explicit tag '{_tag(tag)}': qms files do not use tags "
                "(remove it; quote a value to make it text)",
                event.start_mark,
            )
        if isinstance(event, CollectionStartEvent):
            limit = self.loader.qms_limits.max_depth
            if self.depth >= limit:
                raise _Refused(None, None, _deep(limit), event.start_mark)
        return super().compose_node(parent, index)


def _tag(tag: object) -> str:
    text = str(tag)
    return "!!" + text.removeprefix("tag:yaml.org,2002:") if text.startswith("tag:") else text


def _deep(limit: int) -> str:
    return (
        f"nested more than {limit} levels deep, the most qms reads (the QMS_YAML_MAX_DEPTH setting)"
    )


class _Constructor(RoundTripConstructor):
    """Dates and times stay text; a value that cannot be built is an error at its line."""

    def construct_as_text(self, node: Any) -> str:
        return str(node.value)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            if isinstance(exc, YAMLError):
                raise
            raise ConstructorError(
                None, None, f"cannot read the value {_short(str(node.value))}", node.start_mark
            ) from exc


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_as_text)


def _reader(limits: Limits) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Scanner = _Scanner
    yaml.Composer = _Composer
    yaml.Constructor = _Constructor
    yaml.max_depth = limits.max_depth + 2
    setattr(yaml, "qms_limits", limits)  # noqa: B010 - read by _Scanner and _Composer
    return yaml


def load(
    path: Path | str, error: type[DefinitionError] = DefinitionError, limits: Limits | None = None
) -> Document:
    """Read a YAML file within ``limits``; any problem becomes a DefinitionError with its line."""
    shown = str(path)
    limits = limits or current_limits()
    raw = _read_bytes(Path(path), shown, error, limits)
    text = _decode(raw, shown, error)
    try:
        data = _reader(limits).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise error([Problem(shown, line, _yaml_message(exc))]) from None
    except YAMLError as exc:
        raise error([Problem(shown, 1, f"not valid YAML: {_short(str(exc), 120)}")]) from None
    except RecursionError:  # cannot happen within the depth limit; never a traceback anyway
        raise error([Problem(shown, 1, _deep(limits.max_depth))]) from None
    if data is None:
        raise error([Problem(shown, 1, "the file is empty")])
    return Document(shown, data)


def _read_bytes(path: Path, shown: str, error: type[DefinitionError], limits: Limits) -> bytes:
    try:
        with path.open("rb") as stream:
            raw = stream.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise error([Problem(shown, 0, "file not found")]) from None
    except IsADirectoryError:
        raise error([Problem(shown, 0, "is a folder, not a file")]) from None
    except PermissionError:
        raise error([Problem(shown, 0, "cannot read: permission denied")]) from None
    except OSError as exc:
        raise error([Problem(shown, 0, f"cannot read: {exc.strerror or exc}")]) from None
    if len(raw) > limits.max_bytes:
        raise error(
            [
                Problem(
                    shown,
                    0,
                    f"the file is larger than {limits.max_bytes} bytes, the most qms reads "
                    "(the QMS_YAML_MAX_BYTES setting)",
                )
            ]
        )
    return raw


def _decode(raw: bytes, shown: str, error: type[DefinitionError]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        byte = raw[exc.start]
        raise error(
            [
                Problem(
                    shown,
                    line,
                    f"not UTF-8 text (byte 0x{byte:02x} here): save the file as UTF-8",
                )
            ]
        ) from None


DUPLICATE_KEY = re.compile(r'found duplicate key "(?P<key>[^"]*)"')
TAB = re.compile(r"found character '\\t'|found a tab character", re.IGNORECASE)


def _yaml_message(exc: MarkedYAMLError) -> str:
    """The parser's message in words a quality manager can act on."""
    if isinstance(exc, _Refused):
        return str(exc.problem)
    problem = str(exc.problem or exc.context or "")
    duplicate = DUPLICATE_KEY.search(problem)
    if duplicate is not None:
        return (
            f"'{duplicate['key']}' is given twice in the same mapping "
            "(a state, transition key or setting may appear only once)"
        )
    if isinstance(exc, ScannerError) and TAB.search(problem):
        return "a tab character: indent with spaces, not tabs"
    if "expected a single document" in str(exc.context or "") + problem:
        return "the file holds several YAML documents (---): qms reads one per file"
    if problem.startswith("cannot read the value"):
        return problem
    return f"bad YAML: {problem}"
