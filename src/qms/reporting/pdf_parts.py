"""One part of a document laid out by WeasyPrint, and what the join needs to know of it:
its pages' sizes and named pages, its anchors, its links to other parts, its bookmarks, and
the boxes of its page-number placeholders (see qms.reporting.pdf)."""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

GENERIC = {"serif", "sans-serif", "monospace", "cursive", "fantasy", "system-ui"}


class PdfError(Exception):
    """A document could not be laid out (raised as the caller's ReportError)."""


@dataclass(frozen=True)
class Stamp:
    """Where a page number goes: the placeholder's box, in CSS px from the page's origin."""

    page: int  # index of the page within its part
    target: str
    after: str
    left: float
    top: float
    width: float
    height: float
    font: str  # the CSS of its font and colour
    align: str  # "right" in a table of contents, else "left"


@dataclass
class Part:
    """One part laid out: its PDF (no footer) and what the join needs to know of it."""

    pdf: bytes
    heights: list[float]  # page heights in px, for the PDF's upside-down coordinates
    page_names: list[str]  # the named page of each (``cover``, or "")
    origins: list[tuple[float, float]]  # each page's content origin, px
    anchors: dict[str, tuple[int, float, float]]  # id -> (page, x, y)
    foreign_links: list[tuple[int, str, tuple[float, float, float, float]]]
    bookmarks: list[tuple[int, int, str, float, float, str]]  # page, level, label, x, y, state
    stamps: list[Stamp] = field(default_factory=list)


def weasyprint_html() -> Any:
    with warnings.catch_warnings():
        # WeasyPrint warns on import where the system lacks HarfBuzz-Subset (fonts are then
        # embedded whole); the PDF is complete, so the warning is not the reader's concern.
        warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
        from weasyprint import HTML  # imported here: it is heavy, and only reports need it

    return HTML


def lay_out_part(html: str, base_url: str | None) -> Part:
    """Lay ``html`` (a whole document, one part of a longer one) out and write its PDF.

    The cyclic garbage collector is paused meanwhile: layout makes some hundred thousand
    short-lived objects, and each collection would also walk everything the process holds
    (an application's sessions and records); measured on the review pack in a running
    application, 6 to 15 % of the time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _lay_out(html, base_url)
    finally:
        if paused:
            gc.enable()


def _lay_out(html: str, base_url: str | None) -> Part:
    document = weasyprint_html()(string=html, base_url=base_url).render()
    anchors: dict[str, tuple[int, float, float]] = {}
    for index, page in enumerate(document.pages):
        for name, (x, y, *_) in page.anchors.items():
            anchors.setdefault(name, (index, x, y))
    foreign: list[tuple[int, str, tuple[float, float, float, float]]] = []
    bookmarks: list[tuple[int, int, str, float, float, str]] = []
    stamps: list[Stamp] = []
    origins: list[tuple[float, float]] = []
    for index, page in enumerate(document.pages):
        kept = []
        for link in page.links:
            kind, target, rectangle, _ = link
            if kind == "internal" and target not in anchors:
                foreign.append((index, target, tuple(rectangle)))
            else:
                kept.append(link)
        page.links[:] = kept  # a link to another part is added after the join
        bookmarks.extend(
            (index, level, label, x, y, state) for level, label, (x, y), state in page.bookmarks
        )
        page.bookmarks[:] = []  # the outline is rebuilt over the joined pages
        root = page._page_box.children[0]
        origins.append((root.content_box_x(), root.content_box_y()))
        stamps.extend(_placeholders(page._page_box, index, origins[-1]))
    return Part(
        pdf=bytes(document.write_pdf()),
        heights=[page.height for page in document.pages],
        page_names=[page._page_box.page_type.name or "" for page in document.pages],
        origins=origins,
        anchors=anchors,
        foreign_links=foreign,
        bookmarks=bookmarks,
        stamps=stamps,
    )


def _placeholders(page_box: Any, index: int, origin: tuple[float, float]) -> Iterator[Stamp]:
    seen: set[int] = set()
    for box in page_box.descendants():  # a box before the boxes inside it
        element = getattr(box, "element", None)
        if element is None or element.get("class") != "page-of" or id(element) in seen:
            continue
        seen.add(id(element))  # the element's own box, not its line or text inside
        style = box.style
        red, green, blue, alpha = (round(c * 255) for c in style["color"][:4])
        families = ", ".join(  # in single quotes: the CSS goes in a style="..." attribute
            f"'{family}'" if family not in GENERIC else family
            for family in (name.replace("'", "").replace('"', "") for name in style["font_family"])
        )
        yield Stamp(
            page=index,
            target=element.get("data-of", ""),
            after=element.get("data-after", ""),
            left=box.border_box_x() - origin[0],
            top=box.border_box_y() - origin[1],
            width=box.border_width(),
            height=box.border_height(),
            align="right" if style["text_align_all"] in ("right", "end") else "left",
            font=(
                f"font-family: {families}; font-size: {style['font_size']}px; "
                f"font-weight: {style['font_weight']}; line-height: {box.border_height()}px; "
                f"color: rgba({red}, {green}, {blue}, {alpha / 255:.3f})"
            ),
        )
