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


class ReportError(QmsError):
    """A report could not be rendered (missing template, PDF engine failure)."""


@cache
def environment(reports_dir: Path, timezone: str = "UTC") -> Environment:
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
    env.filters["day"] = lambda value: value.isoformat() if isinstance(value, date) else "—"
    return env


def _local(value: datetime | None, zone: ZoneInfo, fmt: str) -> str:
    return "—" if value is None else value.astimezone(zone).strftime(fmt)


def render(reports_dir: Path, template: str, context: dict[str, Any], timezone: str = "UTC") -> str:
    """Render ``template`` (a path under reports/) with ``context``."""
    try:
        return environment(Path(reports_dir), timezone).get_template(template).render(context)
    except TemplateNotFound as exc:
        raise ReportError(f"template {template!r} not found under {reports_dir}") from exc


def html_to_pdf(html: str, base_url: Path | str | None = None) -> bytes:
    """A PDF of ``html``; relative links (stylesheets, images) resolve against ``base_url``."""
    from weasyprint import HTML  # imported here: it is heavy, and only reports need it

    pdf = HTML(string=html, base_url=str(base_url) if base_url else None).write_pdf()
    if not pdf:
        raise ReportError("the PDF engine produced nothing")
    return bytes(pdf)


def content_hash(content: str | bytes) -> str:
    """sha256 of a rendered report, stored when the report is frozen."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()
