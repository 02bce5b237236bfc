"""Every error qms raises on purpose derives from :class:`QmsError`.

The tree::

    QmsError
    ├── ConfigError                 a setting is missing or malformed
    ├── DefinitionError             a YAML file (process map, workflow, rules) is wrong;
    │   │                           carries one Problem per mistake, each with file and line
    │   └── WorkflowDefinitionError a workflow definition is wrong
    ├── ValidationError             input to a service is wrong; names the field
    ├── NotFound                    a record, person or process does not exist
    ├── WorkflowError               a fire() was refused
    │   ├── InvalidTransition       the trigger is not allowed from the record's state
    │   ├── PermissionDenied        the actor holds none of the roles that may fire it
    │   └── GuardFailed             a guard refused; says which guard and what is missing
    ├── ConflictError               someone else changed the record first (optimistic lock)
    ├── TrailError                  the audit trail refuses a row, or a frozen document was altered
    └── MigrationError              the database schema is not at the expected revision

Library errors are converted where they enter qms (``raise ... from exc``), so
callers handle only this tree, and the CLI turns any of them into one clear line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


class QmsError(Exception):
    """Root of every error qms raises on purpose."""


class ConfigError(QmsError):
    """A setting is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One mistake in a file: where it is and what is wrong."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line <= 0:  # about the file as a whole (missing, unreadable)
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class DefinitionError(QmsError):
    """A data file is wrong; ``problems`` lists every mistake found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class WorkflowDefinitionError(DefinitionError):
    """A workflow definition is wrong."""


class ValidationError(QmsError):
    """Input to a service is wrong; ``field`` names what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class NotFound(QmsError):
    """A record, person or process named by the caller does not exist."""


class WorkflowError(QmsError):
    """A fire() was refused; nothing was written.

    The message is the command line's sentence. The refusal is given as values too, for a
    page to say it in its own words (``qms.web.refusals``): the ``trigger``, the record
    (``kind``, ``record_id``, ``reference``) and the ``process`` code of its process. A
    refusal raised with a message alone (a service's own) leaves them empty.
    """

    def __init__(
        self,
        message: str,
        *,
        trigger: str = "",
        kind: str = "",
        record_id: int | None = None,
        reference: str = "",
        process: str | None = None,
    ) -> None:
        super().__init__(message)
        self.trigger = trigger
        self.kind = kind
        self.record_id = record_id
        self.reference = reference
        self.process = process


class InvalidTransition(WorkflowError):
    """The trigger is not allowed from the record's current ``state``; ``allowed`` are the
    triggers that are."""

    def __init__(
        self, message: str, *, state: str = "", allowed: tuple[str, ...] = (), **about: Any
    ) -> None:
        super().__init__(message, **about)
        self.state = state
        self.allowed = allowed


class PermissionDenied(WorkflowError):
    """The actor holds none of the roles that may fire the trigger: ``roles`` may, on
    ``day`` the ``actor`` (a handle) held ``held`` on the record."""

    def __init__(
        self,
        message: str,
        *,
        actor: str = "",
        roles: tuple[str, ...] = (),
        held: tuple[str, ...] = (),
        day: date | None = None,
        **about: Any,
    ) -> None:
        super().__init__(message, **about)
        self.actor = actor
        self.roles = roles
        self.held = held
        self.day = day


class GuardFailed(WorkflowError):
    """A guard of the transition refused: ``guard`` names it and ``refusal`` is what it
    said (a ``qms.workflow.guards.Refusal`` carries its values); or the destination state
    ``dest`` requires fields that are empty: ``missing`` names them."""

    def __init__(
        self,
        message: str,
        *,
        guard: str | None = None,
        refusal: str | None = None,
        dest: str = "",
        missing: tuple[str, ...] = (),
        **about: Any,
    ) -> None:
        super().__init__(message, **about)
        self.guard = guard
        self.refusal = refusal
        self.dest = dest
        self.missing = missing


class ConflictError(QmsError):
    """The record was changed by someone else since it was read."""


class TrailError(QmsError):
    """The audit trail does not verify."""


class MigrationError(QmsError):
    """The database schema is not at the revision this code expects."""
