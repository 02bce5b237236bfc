"""HTML -> PDF in parts laid out side by side, with the page numbers stamped afterwards.

WeasyPrint lays a document out on one core. A long report (the review pack: twenty pages of
tables and charts) is cut where its template allows (``<!--qms:part-->`` between top-level
sections that begin a page anyway), the parts are laid out at once in worker processes, and
their pages are joined into one PDF (pikepdf). Nothing in a part may depend on a page number,
so a part is laid out with its page-number boxes empty:

- the footer ("page N of M", the reference and the seal: the ``@page`` margin boxes) is left
  out of the parts and drawn over the joined pages by a stamp document per part (laid out at
  once too), of the part's page count, with the same stylesheet and named pages, its page
  counter starting where the part starts in the whole;
- a page reference (the table of contents, "see page N") is a ``<span class="page-of"
  data-of="ID">`` placeholder: laid out holding hidden zeros (room for the digits), its box
  found after layout, and the target's page number written into the stamp at its place, in
  its font, size and colour;
- links to an anchor of another part, bookmarks (the PDF outline) and the named
  destinations are rebuilt over the joined pages.

The layout of each page is therefore the one WeasyPrint makes of the whole document, as long
as a part's first page does not depend on being first (no ``@page :first`` rule).
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from qms.reporting import pdf_parts
from qms.reporting.pdf_join import join, stamp_documents
from qms.reporting.pdf_parts import Part, PdfError

__all__ = ["PdfError", "Printed", "default_workers", "groups", "html_to_pdf", "split"]

PART = "<!--qms:part-->"
MAX_WORKERS = 4
PLACEHOLDER = re.compile(r'<span class="page-of" data-of="([^"]+)"(?: data-after="([^"]*)")?>')
MARGIN_BOXES = [
    "top-left-corner",
    "top-left",
    "top-center",
    "top-right",
    "top-right-corner",
    "right-top",
    "right-middle",
    "right-bottom",
    "bottom-right-corner",
    "bottom-right",
    "bottom-center",
    "bottom-left",
    "bottom-left-corner",
    "left-bottom",
    "left-middle",
    "left-top",
]
NO_FOOTER = (
    "<style>@page {"
    + " ".join(f"@{box} {{ content: none !important; }}" for box in MARGIN_BOXES)
    + "} .page-of { visibility: hidden; }</style>"
)
NO_FOOTER = (
    "<style>@page {"
    + " ".join(f"@{box} {{ content: none !important; }}" for box in MARGIN_BOXES)
    + "} .page-of { visibility: hidden; }</style>"
)


def split(html: str) -> tuple[str, str, list[str]]:
    """``html`` as (head up to ``</head>``, the ``<body ...>`` tag, the body's chunks)."""
    head_end = html.find("</head>")
    body = re.compile(r"<body\b[^>]*>").search(html, max(head_end, 0))
    end = html.rfind("</body>")
    if head_end < 0 or body is None or end < body.end():
        raise PdfError("the document has no <head> and <body> to lay out in parts")
    head = html[: head_end + len("</head>")]
    return head, body.group(0), html[body.end() : end].split(PART)


def groups(chunks: Sequence[str], count: int) -> list[str]:
    """``chunks`` joined into at most ``count`` consecutive groups of similar cost: a chunk's
    cost is taken as its number of tags, an SVG text five times (measured on the review
    pack: 0.5 to 0.7 ms of layout and drawing per tag in tables, SVG text being laid out
    glyph by glyph; characters were no guide)."""
    count = max(1, min(count, len(chunks)))
    costs = [chunk.count("<") + 4 * chunk.count("<text") + 1 for chunk in chunks]
    total = sum(costs)
    joined: list[str] = []
    current: list[str] = []
    done = 0  # the cost of the chunks placed so far
    for index, (chunk, cost) in enumerate(zip(chunks, costs, strict=True)):
        groups_left = count - len(joined)  # the current group included
        if current and (
            len(chunks) - index < groups_left  # each group still to fill needs a chunk
            or done + cost / 2 > total * (len(joined) + 1) / count
        ):
            joined.append("".join(current))
            current = []
        current.append(chunk)
        done += cost
    joined.append("".join(current))
    return joined


def reserved(html: str, digits: int) -> str:
    """Each page-number placeholder holding ``digits`` zeros and its trailing text, so that
    it takes the room of the number it will show."""
    return PLACEHOLDER.sub(lambda m: m.group(0) + "0" * digits + (m.group(2) or ""), html)


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    pages: int


def html_to_pdf(html: str, base_url: str | None, workers: int) -> Printed:
    """The PDF of ``html``, laid out in up to ``workers`` parts at once (1: in this process).

    The footer and every page reference are stamped after the join, so a document without
    part marks still takes this way (one part), and the result does not depend on how many
    workers there were."""
    head, body, chunks = split(html)
    parted = groups(chunks, max(1, workers))
    digits = 2
    while True:
        texts = [
            reserved(head.replace("</head>", NO_FOOTER + "</head>", 1) + body + chunk, digits)
            + "</body></html>"
            for chunk in parted
        ]
        parts = _lay_out_all(texts, base_url)
        pages = sum(len(part.heights) for part in parts)
        if len(str(pages)) <= digits:
            break
        digits = len(str(pages))  # a document of 100 pages or more: room for three digits
    stamps = _lay_out_all(stamp_documents(head, body, parts), base_url)
    return Printed(join(parts, stamps), pages)


def _lay_out_all(texts: list[str], base_url: str | None) -> list[Part]:
    if len(texts) == 1:
        return [pdf_parts.lay_out_part(texts[0], base_url)]
    with _pool(len(texts) - 1) as pool:
        futures = [pool.submit(_in_worker, text, base_url) for text in texts[1:]]
        first = pdf_parts.lay_out_part(texts[0], base_url)  # this process lays out the first part
        rest: list[Part] = []
        for text, future in zip(texts[1:], futures, strict=True):
            try:
                rest.append(future.result())
            except BrokenProcessPool:  # a worker died (memory, signal): do it here instead
                rest.append(pdf_parts.lay_out_part(text, base_url))
    return [first, *rest]


def _in_worker(html: str, base_url: str | None) -> Part:
    return pdf_parts.lay_out_part(html, base_url)  # looked up in the worker, as this module has it


def _pool(workers: int) -> Executor:
    """Worker processes: forked from this one (fast, WeasyPrint already imported) when it runs
    a single thread; else started from a clean server process, as forking a process with
    other threads can copy a lock one of them holds."""
    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "forkserver"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["weasyprint"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))
