"""``python -m bench [--quick] [--only NAME] [--profile]``: run the benchmarks, print ratios.

Exits 0 whether targets are met or not (the summary line says which); 1 only when a
benchmark crashed.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Engine, event

from bench import QUICK, Databases, Result, Sizes, Unavailable, application
from bench.review_pdf import print_pdf_profile
from bench.workflow_bench import BENCHMARKS, Case, cases

PROFILE_LINES = 12


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [case.name for case in cases()]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only these (repeatable): {', '.join([*BENCHMARKS, *names])}",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile the measured code and print where it goes"
    )
    args = parser.parse_args(argv)
    unknown = set(args.only or ()) - {*BENCHMARKS, *names}
    if unknown:
        known = ", ".join([*BENCHMARKS, *names])
        parser.error(f"unknown benchmark {', '.join(sorted(unknown))}; known: {known}")
    return args


def selected(case: Case, only: list[str] | None) -> bool:
    return not only or case.benchmark in only or case.name in only


def run_case(case: Case, databases: Databases, sizes: Sizes, profile: bool) -> str:
    """Run one benchmark on one database, print its block; returns its outcome word."""
    try:
        app = application(databases.new(case.backend), databases.folder / case.name)
    except Unavailable as exc:
        print(f"== {case.name}: SKIPPED, {exc}\n")
        return "skipped"
    try:
        result, measured = BENCHMARKS[case.benchmark](app, sizes)
        result = dataclasses.replace(result, name=case.name)
        print("\n".join(result.lines()))
        if profile:
            print_profile(measured, profile_size(case, sizes), app.database.engine)
            if case.benchmark == "review_pack":
                print_pdf_profile(app)
        print()
        return verdict(result)
    finally:
        app.database.dispose()


def profile_size(case: Case, sizes: Sizes) -> int:
    sizes_of = {"fire": sizes.fires_per_round, "writers": sizes.writer_fires, "review_pack": 1}
    return sizes_of.get(case.benchmark, sizes.loaded_records)


def verdict(result: Result) -> str:
    return "pass" if result.passed else "below target"


def print_profile(measured: Callable[[int], None], n: int, engine: Engine) -> None:
    """Where the measured code spends its time: SQL statements, then the heaviest functions."""
    statements, transactions = Counter[str](), Counter[str]()

    def on_statement(*args: Any) -> None:
        statements[" ".join(str(args[2]).split()[:2])] += 1

    def on_begin(*args: Any) -> None:
        transactions["begin"] += 1

    profiler = cProfile.Profile()
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    try:
        profiler.runcall(measured, n)
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)
    stats = pstats.Stats(profiler)
    total, per = stats.total_tt, max(1, transactions["begin"])  # type: ignore[attr-defined]
    print(f"   profile   {total:.2f} s, {per} transactions; SQL statements per transaction:")
    for statement, times in statements.most_common():
        print(f"     {times / per:6.2f}  {statement} ...")
    rows = list(stats.stats.items())  # type: ignore[attr-defined]
    print("   own time, heaviest functions:")
    print_rows(sorted(rows, key=lambda item: item[1][2], reverse=True), total)
    print("   cumulative time in qms's functions:")
    mine = [(where, row) for where, row in rows if "/qms/" in where[0]]
    print_rows(sorted(mine, key=lambda item: item[1][3], reverse=True), total)


def print_rows(rows: list[tuple[Any, Any]], total: float) -> None:
    for (filename, line, function), (_, calls, own, cumulative, _) in rows[:PROFILE_LINES]:
        where = f"{short(filename)}:{line}({function})"
        print(
            f"     own {own / total:5.1%}  cum {cumulative / total:5.1%}  {calls:>7} calls  {where}"
        )


def short(filename: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    sizes = QUICK if args.quick else Sizes()
    started, outcomes = time.perf_counter(), Counter[str]()
    databases = Databases()
    try:
        for case in cases():
            if not selected(case, args.only):
                continue
            try:
                outcomes[run_case(case, databases, sizes, args.profile)] += 1
            except Exception:  # one crash must not hide the other benchmarks' numbers
                print(f"== {case.name}: CRASHED")
                traceback.print_exc(file=sys.stdout)
                print()
                outcomes["crashed"] += 1
    finally:
        databases.close()
    print(summary(outcomes, args.quick, time.perf_counter() - started))
    return 1 if outcomes["crashed"] else 0


def summary(outcomes: Counter[str], quick: bool, seconds: float) -> str:
    words = ("pass", "below target", "skipped", "crashed")
    counts = ", ".join(f"{outcomes[word]} {word.upper()}" for word in words if outcomes[word])
    return f"bench ({'quick' if quick else 'full'} run, {seconds:.0f} s): {counts or 'nothing run'}"


if __name__ == "__main__":
    sys.exit(main())
