"""The text of a PDF as its reader sees it: line by line, in page position.

The page numbers of a qms document (its footer, its table of contents, "page N" references)
are drawn over the laid-out pages (qms.reporting.pdf), so a plain text extraction gives them
after the page's own text; read by position, each stands on its line again.
"""

from __future__ import annotations

import io

from pypdf import PdfReader


def lines(document: bytes) -> list[list[str]]:
    """Each page's text lines, top to bottom, each line's pieces joined left to right."""
    return [page_lines(page) for page in PdfReader(io.BytesIO(document)).pages]


def page_lines(page: object) -> list[str]:
    pieces: list[tuple[int, float, str]] = []

    def visit(text: str, cm: list[float], tm: list[float], *_: object) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            pieces.append((round(y), x, text.strip()))

    page.extract_text(visitor_text=visit)  # type: ignore[attr-defined]
    rows: dict[int, list[tuple[float, str]]] = {}
    for y, x, text in pieces:
        near = next((row for row in rows if abs(row - y) <= 1), y)  # one baseline, rounding
        rows.setdefault(near, []).append((x, text))
    return [joined([t for _, t in sorted(rows[y])]) for y in sorted(rows, reverse=True)]


def joined(pieces: list[str]) -> str:
    """Pieces of one line with a space between them, none before punctuation."""
    line = ""
    for piece in pieces:
        line += piece if not line or piece[0] in ",.;:)" else " " + piece
    return line
