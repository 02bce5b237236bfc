"""Strings a person reads, marked for translation (the catalogs come with the French
edition): ``_("...")`` in Python, ``{{ _("...") }}`` in templates."""

from __future__ import annotations

import gettext

_translations = gettext.NullTranslations()


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def translations() -> gettext.NullTranslations:
    return _translations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Marks a string for the catalogs where it is defined; translated where it is shown."""
    return message
