"""The templates under reports/: one naming convention (the file's own format as its
extension), so that every HTML template is escaped and none is forgotten."""

from __future__ import annotations

from pathlib import Path

import pytest

from qms.reporting import render
from qms.services.reviews.tables import Table

REPORTS = Path(__file__).resolve().parents[2] / "reports"
TEMPLATES = sorted(p.relative_to(REPORTS).as_posix() for p in REPORTS.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", TEMPLATES)
def test_a_template_is_named_by_what_it_produces(name: str) -> None:
    assert Path(name).suffix in (".html", ".txt", ".css"), (
        f"{name}: templates are named .html, .txt or .css, so autoescape can tell them apart"
    )


@pytest.mark.parametrize("name", TEMPLATES)
def test_html_templates_are_escaped_and_the_others_are_not(name: str) -> None:
    env = render.environment(REPORTS)
    assert callable(env.autoescape)
    assert env.autoescape(name) is (Path(name).suffix == ".html")


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_compiles(name: str) -> None:
    render.environment(REPORTS).get_template(name)


def test_text_a_person_typed_is_escaped_in_the_review_pack_tables() -> None:
    env = render.environment(REPORTS)
    table = env.get_template("review/macros.html").module.table  # type: ignore[attr-defined]
    typed = '<script>alert(1)</script> & it\'s "quoted"'
    html = str(table(Table("Open actions", ("title",), [(typed,)])))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; it&#39;s &#34;quoted&#34;" in html
