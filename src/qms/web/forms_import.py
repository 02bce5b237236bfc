"""Import a file of indicator values (``qms indicator import``): a preview, then all of it.

1. ``POST /indicators/import``: the file (CSV or XLSX, told by its bytes; at most
   ``QMS_UPLOAD_MAX_BYTES``, a larger body refused before it is read:
   :mod:`qms.web.limits`) is kept on the server for this session
   (:mod:`qms.web.forms_uploads`), and the browser is sent to its preview.
2. ``GET /indicators/import/{key}``: every row, each bad one named with its row number and
   what is wrong; the whole file checked by the service as a dry run, nothing stored.
3. ``POST /indicators/import/{key}``: checked again and stored, all or nothing
   (``step=check`` only checks again, e.g. with a reason given for the corrections).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from qms.errors import DefinitionError, NotFound, Problem
from qms.reporting.words import number, plural
from qms.services.indicators import imports as indicators_import
from qms.services.indicators.sheet_formats import Formula, Percentage
from qms.services.indicators.sheets import Row, read_table
from qms.web import forms_uploads, limits
from qms.web.auth import Me
from qms.web.forms_common import FormState
from qms.web.i18n import _
from qms.web.pages import page
from qms.web.security import services_of

router = APIRouter(route_class=limits.LimitedBody)  # a body too large: 413, unread

ROWS_SHOWN = 2000  # rows listed on the preview
PROBLEMS_SHOWN = 500  # problems listed above the rows; the rest are counted
_ROW = re.compile(r"^row \d+: ")  # in the row's own line of the table, said once


@router.get("/indicators/import", response_class=HTMLResponse)
def import_form(request: Request, me: Me) -> HTMLResponse:
    return _upload_page(request, FormState({"file": "", "reason": ""}), 200)


@router.post("/indicators/import", response_class=HTMLResponse)
async def import_upload(
    request: Request,
    me: Me,
    file: Annotated[UploadFile | None, File()] = None,
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    state = FormState({"file": "", "reason": reason})
    limit = limits.file_limit(request)
    data = await file.read(limit + 1) if file is not None else b""
    problem = _upload_problem(file, data, limit)
    if problem:
        state.errors["file"] = problem
        return await run_in_threadpool(_upload_page, request, state, 400)
    kept = await run_in_threadpool(
        forms_uploads.keep, me.token_sha256, file.filename if file else None, data
    )
    forms_uploads.write_reason(kept, reason)
    return RedirectResponse(f"/indicators/import/{kept.key}", status_code=303)


def _upload_problem(file: UploadFile | None, data: bytes, limit: int) -> str:
    if file is None or not file.filename:
        return _("choose a CSV or XLSX file")
    if len(data) > limit:
        return _("%(name)s is larger than %(limit)s: split it into several files") % {
            "name": forms_uploads.shown_name(file.filename),
            "limit": limits.size_in_words(limit),
        }
    if not data.strip():
        return _("%(name)s is empty") % {"name": forms_uploads.shown_name(file.filename)}
    return ""


def _upload_page(request: Request, state: FormState, status: int) -> HTMLResponse:
    limit = number(limits.file_limit(request) / (1024 * 1024), 1)  # the page says "MB"
    return page(request, "indicators/import.html", {"state": state, "limit": limit}, status)


@router.get("/indicators/import/{key}", response_class=HTMLResponse)
def import_preview(request: Request, me: Me, key: str) -> HTMLResponse:
    upload = _upload(me, key)
    return _preview(request, me, upload, forms_uploads.read_reason(upload), 200)


@router.post("/indicators/import/{key}", response_class=HTMLResponse)
def import_confirm(
    request: Request,
    me: Me,
    key: str,
    reason: Annotated[str, Form(max_length=5000)] = "",
    step: Annotated[str, Form()] = "import",
) -> Response:
    upload = _upload(me, key)
    forms_uploads.write_reason(upload, reason)
    if step != "import":
        return RedirectResponse(f"/indicators/import/{key}", status_code=303)
    try:
        report = indicators_import.import_file(
            services_of(request), me.handle, upload.path, reason, dry_run=False
        )
    except DefinitionError:
        return _preview(request, me, upload, reason, 400)
    forms_uploads.drop(me.token_sha256, key)
    changed = report.outcomes.get("created", 0) + report.outcomes.get("corrected", 0)
    return RedirectResponse(f"/indicators?imported={changed}", status_code=303)


def _upload(me: Me, key: str) -> forms_uploads.Upload:
    found = forms_uploads.find(me.token_sha256, key)
    if found is None:
        raise NotFound(
            _(
                "This file is no longer kept (it waits an hour, for the session that sent "
                "it): send it again."
            )
        )
    return found


def _preview(
    request: Request, me: Me, upload: forms_uploads.Upload, reason: str, status: int
) -> HTMLResponse:
    """Every row and its problems, and what importing would do (a dry run: nothing kept)."""
    app = services_of(request)
    state = FormState({"reason": reason})
    problems: list[Problem] = []
    rows: list[dict[str, object]] = []
    outcomes: dict[str, int] = {}
    try:
        table = read_table(upload.path)
        rows = [_cells(row) for row in table.rows]
        report = indicators_import.import_file(app, me.handle, upload.path, reason, dry_run=True)
        outcomes = dict(report.outcomes)
    except DefinitionError as exc:
        problems = exc.problems
    by_row: dict[int, list[str]] = defaultdict(list)
    for problem in problems:
        by_row[problem.line].append(_said(problem, upload))
    for row in rows:
        said = by_row.get(row["number"], [])  # type: ignore[call-overload]
        row["problems"] = [_ROW.sub("", message) for message in said]
    whole_file = by_row.get(0, [])
    if whole_file:
        state.message = "; ".join(whole_file)
    context = {
        "state": state,
        "upload": upload,
        "rows": rows[:ROWS_SHOWN],
        "row_count": len(rows),
        "problems": [(p.line, _said(p, upload)) for p in problems if p.line][:PROBLEMS_SHOWN],
        "more_problems": max(len([p for p in problems if p.line]) - PROBLEMS_SHOWN, 0),
        "outcomes": outcomes,
        "changing": outcomes.get("created", 0) + outcomes.get("corrected", 0),
        "said": [
            plural(outcomes[key], noun)
            for key, noun in (("created", _("new value")), ("corrected", _("correction")))
            if outcomes.get(key)
        ],
        "needs_reason": any("give a reason" in m for ms in by_row.values() for m in ms),
        "corrects": bool(outcomes.get("corrected") or reason.strip()),
    }
    return page(request, "indicators/preview.html", context, status if not problems else 400)


def _said(problem: Problem, upload: forms_uploads.Upload) -> str:
    """The problem as the page says it: the person's file name, no command-line option."""
    text = problem.message.replace(str(upload.path), upload.name)
    if not problem.line:
        text = f"{upload.name}: {text}"
    return text.replace(" (--reason)", "").replace(": give a reason", ": give a reason below")


def _cells(row: Row) -> dict[str, object]:
    return {
        "number": row.number,
        "indicator": _shown(row.indicator),
        "period": _shown(row.period),
        "value": _shown(row.value),
        "comment": _shown(row.comment),
    }


def _shown(cell: object) -> str:
    """A raw cell as the person typed it in their sheet."""
    if cell is None:
        return ""
    if isinstance(cell, Percentage):
        return f"{number(cell.percent, 6)} %"
    if isinstance(cell, Formula):
        return cell.text
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    if isinstance(cell, float):
        return number(cell, 6)
    return str(cell)
