"""A register downloaded: every row of its filters, as CSV or XLSX, formulas made inert
(``reporting/exports.py``), named after the register and the day (``actions-2026-12-01.xlsx``).

CSV is encoded UTF-8 with a byte-order mark, which Excel needs to read accents.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from fastapi.responses import Response

from qms.reporting.exports import to_csv, to_xlsx
from qms.reporting.words import Words
from qms.web.i18n import _
from qms.web.registers_spec import Register

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def download(
    register: Register, fmt: str, lines: Sequence[Any], words: Words, today: date
) -> Response:
    columns = register.export_columns()
    rows = (register.export(line, words) for line in lines)
    if fmt == "csv":
        body = to_csv(columns, rows).encode("utf-8-sig")
    else:
        body = to_xlsx(columns, rows, sheet=_(register.title))
    name = f"{register.file_name}-{today.isoformat()}.{fmt}"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store",  # a register is personal: what its reader may see
    }
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
