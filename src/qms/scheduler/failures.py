"""Why an outbox row was not sent: nothing to say any more, or it cannot be said."""

from __future__ import annotations

from qms.errors import QmsError


class Skip(QmsError):
    """Nothing to send for this row (the record was closed, the person left...)."""


class Undeliverable(QmsError):
    """The row cannot become an e-mail (no recipient, a template error): kept as failed."""
