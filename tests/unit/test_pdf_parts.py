"""A long document laid out in parts at once: the same pages, numbers, links and outline as
laid out whole.

The document here has the shape of a qms report: a table of contents (page_of
placeholders), sections that begin a page, a "see page N" reference from the first part to
the last, and the shared footer ("page N of M") of reports/base.css.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pikepdf
import pytest

from qms.reporting import pdf, pdf_parts
from qms.reporting.render import ReportError, environment, html_to_pdf, printed
from tests import pdftext

REPORTS = Path(__file__).resolve().parents[2] / "reports"
SECTIONS = 6

DOCUMENT = """<!DOCTYPE html>
{% from "pages.html" import page_of, see_page %}
<html lang="en"><head><meta charset="utf-8"><title>Parts</title>
<style>{% include "base.css" %}
section.own-page { break-before: page; }</style></head>
<body data-ref="Parts test · revision 1" data-seal="Audit trail: seal #3">
<section class="cover"><h1>A long document</h1></section>
<nav class="toc"><ol>
{% for n in range(sections) %}
<li>{{ page_of("s" ~ n) }}<a href="#s{{ n }}">Section {{ n }}</a></li>
{% endfor %}
</ol></nav>
{% set last = "s" ~ (sections - 1) %}
<p id="intro">The last section is <a href="#{{ last }}">there</a>{{ see_page(last, ".") }}</p>
{% for n in range(sections) %}
<!--qms:part-->
<section class="own-page" id="s{{ n }}"><h1>Section {{ n }}</h1>
{% for _ in range(n * paragraphs) %}<p>{{ filler }}</p>{% endfor %}
</section>
{% endfor %}
</body></html>
"""
FILLER = "A paragraph of the kind a report holds, long enough to wrap over two lines. " * 3


def document(sections: int = SECTIONS, paragraphs: int = 12) -> str:
    template = environment(REPORTS).from_string(DOCUMENT)
    return template.render(sections=sections, paragraphs=paragraphs, filler=FILLER)


def pages_of(lines: list[list[str]], heading: str) -> list[int]:
    return [n for n, page in enumerate(lines, 1) if heading in page]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parts_give_the_pages_of_the_whole(workers: int) -> None:
    document_pdf = printed(document(), REPORTS, workers)
    lines = pdftext.lines(document_pdf.pdf)
    assert len(lines) == document_pdf.pages
    total = len(lines)
    for n, page in enumerate(lines, 1):  # the footer on every page, with the whole's count
        assert f"page {n} of {total}" in page[-1] or f"page {n} of {total}" in page[-2]
    assert any("Parts test · revision 1" in line for line in lines[1])
    contents = lines[1]
    for n in range(SECTIONS):  # each entry's number: the page its section begins on
        entry = next(line for line in contents if line.startswith(f"Section {n} "))
        number = int(entry.rsplit(" ", 1)[1])
        assert pages_of(lines, f"Section {n}")[-1] == number, (entry, number)
    last = pages_of(lines, f"Section {SECTIONS - 1}")[-1]
    assert f"The last section is there, page {last}." in " ".join(contents)


def test_the_same_document_whatever_the_number_of_workers() -> None:
    html = document()
    alone = pdftext.lines(html_to_pdf(html, REPORTS, 1))
    apart = pdftext.lines(html_to_pdf(html, REPORTS, 3))
    assert alone == apart


def test_links_destinations_and_outline_span_the_parts() -> None:
    document_pdf = html_to_pdf(document(), REPORTS, 3)
    joined = pikepdf.open(io.BytesIO(document_pdf))
    page_index: dict[tuple[int, int], int] = {p.objgen: n for n, p in enumerate(joined.pages)}
    flat = joined.Root.Names.Dests.Names
    dests = {str(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
    lines = pdftext.lines(document_pdf)
    for n in range(SECTIONS):  # every section's anchor, on its page
        target = page_index[dests[f"s{n}"][0].objgen]
        assert f"Section {n}" in lines[target], n
    links = [
        str(annot.Dest)
        for annot in joined.pages[1].get("/Annots", [])
        if annot.get("/Subtype") == "/Link"
    ]
    # the contents link every section, those laid out in other parts too
    assert sorted(links) == sorted([f"s{n}" for n in range(SECTIONS)] + [f"s{SECTIONS - 1}"])
    with joined.open_outline() as outline:
        marks = [(item.title, page_index[item.destination[0].objgen]) for item in outline.root]
    assert [title for title, _ in marks] == ["A long document"] + [
        f"Section {n}" for n in range(SECTIONS)
    ]
    assert all(f"Section {n}" in lines[page] for n, (_, page) in enumerate(marks[1:]))
    assert joined.docinfo["/Title"] == "Parts"


def test_a_document_of_a_hundred_pages_gets_room_for_three_digits() -> None:
    html = document(sections=101, paragraphs=0)
    lines = pdftext.lines(html_to_pdf(html, REPORTS, 2))
    total = len(lines)
    contents = [line for page in lines[1:4] for line in page]
    first = int(next(line for line in contents if line.startswith("Section 0 ")).split()[-1])
    assert total == first + 100 > 100  # a page per section after the contents
    assert f"Section 100 {total}" in contents and f"page {total} of {total}" in lines[-1][-2]
    assert f"The last section is there, page {total}." in " ".join(contents)


def test_a_worker_that_dies_is_replaced_by_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = os.getpid()
    lay_out = pdf_parts.lay_out_part

    def dies_in_a_worker(html: str, base_url: str | None) -> pdf_parts.Part:
        if os.getpid() != parent:
            os._exit(9)  # as if killed (out of memory)
        return lay_out(html, base_url)

    monkeypatch.setattr(pdf_parts, "lay_out_part", dies_in_a_worker)
    html = document()
    assert pdftext.lines(html_to_pdf(html, REPORTS, 2)) == pdftext.lines(
        html_to_pdf(html, REPORTS, 1)
    )


def test_groups_keep_the_order_and_balance_the_tags() -> None:
    chunks = ["<p>a</p>" * 10, "<p>b</p>" * 10, "<p>c</p>" * 40, "<p>d</p>"]
    two = pdf.groups(chunks, 2)
    assert "".join(two) == "".join(chunks) and len(two) == 2
    assert two[0] == chunks[0] + chunks[1]  # 40 tags, then 82
    assert pdf.groups(chunks, 9) == chunks  # never more groups than chunks
    assert pdf.groups(chunks, 1) == ["".join(chunks)]
    assert pdf.groups(["x"], 4) == ["x"]


def test_a_document_without_head_or_body_is_refused_in_words() -> None:
    with pytest.raises(ReportError, match="no <head> and <body>"):
        html_to_pdf("<p>no document around me</p>", REPORTS, 1)


def test_a_page_reference_to_no_section_is_refused_in_words() -> None:
    html = document().replace('page_of("s0")', "").replace('data-of="s0"', 'data-of="nowhere"')
    with pytest.raises(ReportError, match="#nowhere, which is not there"):
        html_to_pdf(html, REPORTS, 2)
