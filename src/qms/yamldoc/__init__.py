"""YAML files that people write, read safely and with their line numbers so every error can
point at one.

:func:`load` is the one way qms reads a YAML file (the process map, the workflow
definitions, the indicators file, the reminder rules, the audit checklists).  It refuses,
with a ``file:line: message`` and before building anything big:

* a file larger than ``QMS_YAML_MAX_BYTES`` (default 1 MiB);
* nesting deeper than ``QMS_YAML_MAX_DEPTH`` (default 32 levels of lists and mappings);
* anchors (``&name``), aliases (``*name``) and merge keys (``<<: *name``): qms files never
  need them, and an alias can make a few hundred bytes expand into gigabytes;
* explicit tags (``!!str``, ``!foo``), several documents in one file, bytes that are not
  UTF-8.

Dates and times are read as text (never as YAML timestamps), so ``since: 2026-02-30``
reaches the schema, which says what is wrong with it (:data:`IsoDate` is the field type of
a calendar date).

A :class:`Document` keeps the parsed tree (ruamel.yaml keeps each key's line) and the
path as the user named it.  :func:`parse` checks the tree against a pydantic model and
turns each schema error into a :class:`~qms.errors.Problem` with file, line and a message
in the words of the file (``macro_processes[0].processes[2].code: should be ...``), never
in the words of Python.
"""

from qms.yamldoc.checking import ModelT, parse, parse_checked, plain
from qms.yamldoc.document import Document, Loc, dotted
from qms.yamldoc.fields import DATE_TEXT, PATTERN_WORDS, IsoDate, Spec, describe_pattern
from qms.yamldoc.loading import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_DEPTH,
    DUPLICATE_KEY,
    TAB,
    Limits,
    current_limits,
    load,
)
from qms.yamldoc.wording import TYPE_WORDS, problems

__all__ = [
    "DATE_TEXT",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DUPLICATE_KEY",
    "PATTERN_WORDS",
    "TAB",
    "TYPE_WORDS",
    "Document",
    "IsoDate",
    "Limits",
    "Loc",
    "ModelT",
    "Spec",
    "current_limits",
    "describe_pattern",
    "dotted",
    "load",
    "parse",
    "parse_checked",
    "plain",
    "problems",
]
