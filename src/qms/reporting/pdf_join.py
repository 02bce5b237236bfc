"""The parts of a document joined into one PDF: their pages in order, each with its stamp
page (the footer and the page numbers) drawn over it, and the named destinations, links
between parts and outline rebuilt over the joined pages (see qms.reporting.pdf)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from html import escape
from typing import Any

from qms.reporting.pdf_parts import Part, PdfError

PX_TO_PT = 0.75  # WeasyPrint draws 1 CSS px as 0.75 pt
STAMP_STYLE = (
    "<style>html, body { margin: 0 !important; padding: 0 !important; }"
    " .qms-stamps { position: relative; height: 0; margin: 0; padding: 0; border: 0;"
    " break-after: page; }"
    " .qms-stamps:last-child { break-after: auto; }"
    " .qms-stamps span { position: absolute; white-space: nowrap; margin: 0; padding: 0;"
    " }</style>"
)


def stamp_documents(head: str, body: str, parts: list[Part]) -> list[str]:
    """For each part, one page per page of it, with the footer (the stylesheet's own margin
    boxes and counters, the page counter starting where the part starts in the whole) and
    each page number written where its placeholder is; laid out at once like the parts."""
    page_of: dict[str, int] = {}
    for part, offset in _offsets(parts):
        for name, (page, _, _) in part.anchors.items():
            page_of.setdefault(name, offset + page + 1)
    total = sum(len(part.heights) for part in parts)
    # The page count is known now: written in, so that each stamp page is laid out once
    # (asking the layout for counter(pages) makes it lay every page out twice).
    head = head.replace("counter(pages)", f'"{total}"').replace(
        "</head>", STAMP_STYLE + "</head>", 1
    )
    documents = []
    for part, offset in _offsets(parts):
        pages: list[list[str]] = [[] for _ in part.heights]
        for stamp in part.stamps:
            if stamp.target not in page_of:
                raise PdfError(f"a page reference points to #{stamp.target}, which is not there")
            text = f"{page_of[stamp.target]}{stamp.after}"
            pages[stamp.page].append(
                f'<span style="left: {stamp.left}px; top: {stamp.top}px; '
                f"width: {stamp.width}px; height: {stamp.height}px; {stamp.font}; "
                f'text-align: {stamp.align}">{escape(text)}</span>'
            )
        divs = "".join(
            f'<div class="qms-stamps"{_named(name)}>{"".join(spans)}</div>'
            for name, spans in zip(part.page_names, pages, strict=True)
        )
        first = f"<style>@page :first {{ counter-reset: page {offset + 1}; }}</style>"
        documents.append(head.replace("</head>", first + "</head>", 1) + body + divs)
    return [document + "</body></html>" for document in documents]


def _named(page: str) -> str:
    return f' style="page: {page}"' if page else ""


def join(parts: list[Part], stamps: list[Part]) -> bytes:
    """The parts' pages in order, each with its stamp page drawn over it; the anchors, links
    between parts and the outline rebuilt; the first part's metadata kept."""
    import pikepdf  # imported here: only PDFs need it

    sources = [pikepdf.open(io.BytesIO(part.pdf)) for part in parts]
    overlays = [pikepdf.open(io.BytesIO(stamp.pdf)) for stamp in stamps]
    joined = pikepdf.new()
    with warnings.catch_warnings():
        # pikepdf warns that copied pages lose their named destinations: rebuilt below.
        warnings.filterwarnings("ignore", category=pikepdf.PageCopyWarning)
        for source in sources:
            joined.pages.extend(source.pages)
    over = [page for overlay in overlays for page in overlay.pages]
    if len(joined.pages) != len(over):
        raise PdfError(
            f"the page numbers were laid out on {len(over)} pages for a document of "
            f"{len(joined.pages)}"
        )
    for page, stamp in zip(joined.pages, over, strict=True):
        page.add_overlay(stamp, None)  # over the whole page
    first = sources[0]
    joined.docinfo = joined.copy_foreign(first.docinfo)  # type: ignore[assignment]
    for key in ("/Lang", "/PageMode"):
        if key in first.Root:
            joined.Root[key] = first.Root[key]
    _destinations(joined, parts)
    _links(joined, parts)
    _outline(joined, parts)
    output = io.BytesIO()
    joined.save(output)
    return output.getvalue()


def _offsets(parts: list[Part]) -> Iterator[tuple[Part, int]]:
    offset = 0
    for part in parts:
        yield part, offset
        offset += len(part.heights)


def _pdf_point(height: float, x: float, y: float) -> tuple[float, float]:
    return x * PX_TO_PT, (height - y) * PX_TO_PT


def _destinations(joined: Any, parts: list[Part]) -> None:
    import pikepdf

    named: dict[str, Any] = {}
    for part, offset in _offsets(parts):
        for name, (page, x, y) in part.anchors.items():
            if name in named:
                continue
            left, top = _pdf_point(part.heights[page], x, y)
            target = joined.pages[offset + page].obj
            named[name] = pikepdf.Array([target, pikepdf.Name.XYZ, left, top, 0])
    flat = pikepdf.Array()
    for name in sorted(named):
        flat.append(pikepdf.String(name))
        flat.append(named[name])
    if "/Names" not in joined.Root:
        joined.Root.Names = pikepdf.Dictionary()
    joined.Root.Names.Dests = joined.make_indirect(pikepdf.Dictionary(Names=flat))


def _links(joined: Any, parts: list[Part]) -> None:
    import pikepdf

    for part, offset in _offsets(parts):
        for page, target, (x1, y1, x2, y2) in part.foreign_links:
            height = part.heights[page]
            left, bottom = _pdf_point(height, x1, y2)
            right, top = _pdf_point(height, x2, y1)
            link = joined.make_indirect(
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=pikepdf.Array([left, bottom, right, top]),
                    BS=pikepdf.Dictionary(W=0),
                    Dest=pikepdf.String(target),
                )
            )
            holder = joined.pages[offset + page].obj
            if "/Annots" not in holder:
                holder.Annots = pikepdf.Array()
            holder.Annots.append(link)


def _outline(joined: Any, parts: list[Part]) -> None:
    import pikepdf

    marks = [
        (level, label, offset + page, _pdf_point(part.heights[page], x, y), state)
        for part, offset in _offsets(parts)
        for page, level, label, x, y, state in part.bookmarks
    ]
    if not marks:
        return
    with joined.open_outline() as outline:
        stack: list[tuple[int, Any]] = []
        for level, label, page, (left, top), state in marks:
            item = pikepdf.OutlineItem(
                label, page, pikepdf.PageLocation.XYZ, left=left, top=top, zoom=0
            )
            item.is_closed = state == "closed"
            while stack and stack[-1][0] >= level:
                stack.pop()
            (stack[-1][1].children if stack else outline.root).append(item)
            stack.append((level, item))
