"""The Jinja2 environment over ``reports/`` and the HTML -> PDF step.

Autoescape is on for HTML and XML templates (text users typed can never inject markup),
and undefined values raise instead of printing an empty cell (StrictUndefined).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from qms.errors import QmsError
from qms.reporting import pdf, words
from qms.reporting.pdf import Printed


class ReportError(QmsError):
    """A report could not be rendered (missing template, PDF engine failure)."""


DEFAULT_DATE_FORMAT = "%-d %b %Y"


@cache
def environment(
    reports_dir: Path, timezone: str = "UTC", date_format: str = DEFAULT_DATE_FORMAT
) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(reports_dir)),
        autoescape=select_autoescape(["html", "htm", "xml", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    zone = ZoneInfo(timezone)
    env.filters["local"] = lambda value, fmt="%Y-%m-%d %H:%M": _local(value, zone, fmt)
    env.filters["when"] = lambda value: _local(value, zone, f"{date_format} %H:%M")
    env.filters["day"] = lambda value: day(value, date_format)
    env.filters["iso"] = lambda value: value.isoformat() if isinstance(value, date) else "—"
    env.filters["plural"] = words.plural
    env.filters["whole"] = words.whole
    env.filters["number"] = words.number
    return env


def _local(value: datetime | None, zone: ZoneInfo, fmt: str) -> str:
    return "—" if value is None else value.astimezone(zone).strftime(fmt)


def day(value: date | datetime | str | None, date_format: str) -> str:
    """A date in the institution's format; an ISO string (from a record's data) is read first."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value) or "—"
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime(date_format) if isinstance(value, date) else "—"


def render(
    reports_dir: Path,
    template: str,
    context: dict[str, Any],
    timezone: str = "UTC",
    date_format: str = DEFAULT_DATE_FORMAT,
) -> str:
    """Render ``template`` (a path under reports/) with ``context``."""
    try:
        env = environment(Path(reports_dir), timezone, date_format)
        return env.get_template(template).render(context)
    except TemplateNotFound as exc:
        raise ReportError(f"template {template!r} not found under {reports_dir}") from exc


def printed(html: str, base_url: Path | str | None = None, workers: int | None = None) -> Printed:
    """The PDF of ``html`` and its page count, laid out in up to ``workers`` parts at once
    (default: one per core, at most four; see qms.reporting.pdf); relative links
    (stylesheets, images) resolve against ``base_url``."""
    try:
        document = pdf.html_to_pdf(
            html,
            str(base_url) if base_url else None,
            pdf.default_workers() if workers is None else workers,
        )
    except pdf.PdfError as exc:
        raise ReportError(f"the PDF could not be laid out: {exc}") from exc
    if not document.pdf:
        raise ReportError("the PDF engine produced nothing")
    return document


def html_to_pdf(html: str, base_url: Path | str | None = None, workers: int | None = None) -> bytes:
    """A PDF of ``html`` (see :func:`printed`)."""
    return printed(html, base_url, workers).pdf


def content_hash(content: str | bytes) -> str:
    """sha256 of a rendered report, stored when the report is frozen."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()
