"""The review pack as PDF: cold, warm, and WeasyPrint on the same pages without charts.

``cold``: a fresh process (``python -m bench.review_pdf URL ...``) with the chart cache
emptied (table and memory), so nothing of the pack is drawn yet; it reports its start-up
(interpreter, imports, the ORM's mapper configuration that any first query pays) apart
from the pack itself (charts drawn, queries, HTML built, the PDF laid out in parts at once
and joined).
``warm``: the same in this process, charts kept.  ``baseline``: WeasyPrint alone on the
warm pack's HTML with every inline SVG taken out: what the pages cost without charts.
"""

from __future__ import annotations

import cProfile
import json
import os
import pstats
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select

from qms.bootstrap import Services

PDF_LIMIT = 3.0  # seconds, cold and warm (issue 14)
ROOT = Path(__file__).resolve().parents[1]
SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


@dataclass(frozen=True)
class PdfTimes:
    cold: float  # charts drawn + HTML + PDF, in a fresh process
    cold_imports: float  # that process's start before it: interpreter, imports, wiring
    warm: float  # HTML + PDF, charts kept, this process
    baseline: float  # WeasyPrint on the same HTML without its SVGs
    pages: int  # of the pack without its charts
    charts: int

    def checks(self) -> tuple[tuple[str, bool], ...]:
        return (
            (
                f"PDF cold {self.cold:.2f} s < {PDF_LIMIT:g} s (a fresh process, chart cache "
                f"emptied: charts drawn, HTML, PDF; its start-up and imports "
                f"{self.cold_imports:.2f} s more)",
                self.cold < PDF_LIMIT,
            ),
            (
                f"PDF warm {self.warm:.2f} s < {PDF_LIMIT:g} s (HTML + PDF, charts kept)",
                self.warm < PDF_LIMIT,
            ),
        )

    @property
    def note(self) -> str:
        return (
            f"PDF warm = {self.warm / self.baseline:.2f}x WeasyPrint alone on the same pack "
            f"without its {self.charts} charts ({self.pages} pages, {self.baseline:.2f} s)"
        )


def pack_pdf_times(app: Services, review_id: int, rounds: int) -> PdfTimes:
    """Cold once in a fresh process, then the best of ``rounds`` warm and baseline runs."""
    empty_chart_cache(app)
    cold = cold_in_fresh_process(app, review_id)
    from qms.services.reviews import report as reviews_pack

    def warm() -> None:
        reviews_pack.pdf(app, reviews_pack.render_html(app, review_id))

    html = reviews_pack.render_html(app, review_id)
    bare = SVG.sub("", html)
    pages = 0

    def baseline() -> None:
        nonlocal pages
        from weasyprint import HTML

        document = HTML(string=bare, base_url=str(app.settings.reports_dir)).render()
        document.write_pdf()
        pages = len(document.pages)

    warm_time, baseline_time = best(warm, rounds), best(baseline, rounds)
    return PdfTimes(
        cold=cold["pack"],
        cold_imports=cold["imports"],
        warm=warm_time,
        baseline=baseline_time,
        pages=pages,
        charts=html.count("<svg"),
    )


def best(work: Callable[[], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def empty_chart_cache(app: Services) -> None:
    from qms.models import IndicatorChart
    from qms.services.indicators import charts as indicators_charts

    with app.database.unit_of_work() as uow:
        uow.session.execute(delete(IndicatorChart))
        uow.commit()
    indicators_charts.forget()


def cold_in_fresh_process(app: Services, review_id: int) -> dict[str, float]:
    settings = app.settings
    argv = [
        *(sys.executable, "-m", "bench.review_pdf", settings.database_url),
        *(str(settings.workflows_dir), str(settings.trail_key_file)),
        *(str(settings.trail_seals_dir), str(review_id)),
    ]
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=ROOT, env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"the cold pack process failed:\n{done.stderr}")
    pack = float(json.loads(done.stdout.strip().splitlines()[-1])["pack"])
    return {"pack": pack, "imports": wall - pack}  # start-up: interpreter, imports, wiring


def print_pdf_profile(app: Services, lines: int = 12) -> None:
    """cProfile of one warm PDF of the last review's pack: where WeasyPrint spends it, by
    stage, then the heaviest functions."""
    from qms.models import ManagementReview
    from qms.services.reviews import report as reviews_pack

    with app.database.reading() as session:
        review_id = session.scalars(select(func.max(ManagementReview.id))).one()

    html = reviews_pack.render_html(app, review_id)
    profiler = cProfile.Profile()
    profiler.runcall(reviews_pack.pdf, app, html)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = stats.stats  # type: ignore[attr-defined]
    print(f"   PDF profile ({total:.1f} s under cProfile), cumulative time by stage:")
    for stage, (filename, function) in STAGES.items():
        found = [
            row
            for (file, _, func), row in rows.items()
            if file.endswith(filename) and func == function
        ]
        if found:
            print(f"     {sum(r[3] for r in found) / total:6.1%}  {stage}")
    print("   own time, heaviest functions:")
    heaviest = sorted(rows.items(), key=lambda item: item[1][2], reverse=True)[:lines]
    for (filename, line, function), (_, calls, own, _, _) in heaviest:
        where = filename.split("site-packages/")[-1]
        print(f"     own {own / total:5.1%}  {calls:>8} calls  {where}:{line}({function})")


STAGES = {
    "HTML parsing and CSS cascade (computed styles)": ("weasyprint/css/__init__.py", "__init__"),
    "layout, all pages": ("weasyprint/layout/__init__.py", "layout_document"),
    "  of which tables": ("weasyprint/layout/table.py", "table_layout"),
    "drawing, all pages": ("weasyprint/draw/__init__.py", "draw_page"),
    "  of which inline SVG charts": ("weasyprint/svg/__init__.py", "draw"),
    "  of which SVG text (laid out letter by letter)": ("weasyprint/svg/text.py", "text"),
    "fonts embedded (fontTools subsetting)": ("weasyprint/pdf/fonts.py", "build_fonts_dictionary"),
}


def main(argv: list[str]) -> None:
    """The cold pack in this fresh process; prints its time as one JSON line."""
    url, workflows, key_file, seals, review_id = argv
    # Timed with the start-up, as every command pays them before its own work: the PDF
    # libraries' imports, and the ORM's mapper configuration (any first query does it).
    import pikepdf  # noqa: F401
    import weasyprint  # noqa: F401
    from sqlalchemy.orm import configure_mappers

    from qms.bootstrap import bootstrap
    from qms.clock import SystemClock
    from qms.config import load_settings
    from qms.db import Database
    from qms.services.reviews import report as reviews_pack

    settings = load_settings(
        database_url=url,
        workflows_dir=Path(workflows),
        trail_key_file=Path(key_file),
        trail_seals_dir=Path(seals),
    )
    app = bootstrap(settings, SystemClock(), Database(url=url))
    configure_mappers()
    started = time.perf_counter()
    reviews_pack.pdf(app, reviews_pack.render_html(app, int(review_id)))
    done = time.perf_counter()
    app.database.dispose()
    print(json.dumps({"pack": done - started}))


if __name__ == "__main__":
    main(sys.argv[1:])
