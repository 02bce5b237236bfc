"""Run the qms command in-process, as a person would type it, and capture what it prints."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from qms.cli import main
from qms.config import get_settings


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    get_settings.cache_clear()
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        get_settings.cache_clear()
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)
