"""The layers contract in pyproject.toml (import-linter), which `make lint` runs: it holds
on the code as it is, and it fails, naming the import, when a layer reaches upwards or a
new package is left out of the picture."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package and its configuration, to break on purpose."""
    shutil.copytree(ROOT / "src" / "qms", tmp_path / "src" / "qms",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(module: Path, line: str) -> None:
    module.write_text(module.read_text() + f"\n{line}\n")


def test_the_code_keeps_the_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_a_service_importing_the_cli_breaks_it(tree: Path) -> None:
    add_line(tree / "src/qms/services/shared.py", "import qms.cli.app  # noqa: E402")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "qms.services is not allowed to import qms.cli" in result.stdout
    assert "qms.services.shared -> qms.cli.app" in result.stdout


def test_a_service_importing_the_demo_breaks_it(tree: Path) -> None:
    add_line(tree / "src/qms/services/capa/actions.py", "import qms.demo  # noqa: E402")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "qms.services is not allowed to import qms.demo" in result.stdout


def test_transport_running_a_use_case_breaks_it(tree: Path) -> None:
    add_line(tree / "src/qms/notify/email.py", "import qms.services.agenda  # noqa: E402")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "qms.notify is not allowed to import qms.services" in result.stdout


def test_a_package_left_out_of_the_layers_breaks_it(tree: Path) -> None:
    (tree / "src/qms/extras").mkdir()
    (tree / "src/qms/extras/__init__.py").write_text('"""Somewhere new."""\n')
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "qms.extras" in result.stdout


MOST_LINES = 350


def test_no_module_is_over_350_lines() -> None:
    """Modules stay small enough to read in one sitting (docs/architecture.md)."""
    long = {
        str(path.relative_to(ROOT)): count
        for path in (ROOT / "src" / "qms").rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MOST_LINES
    }
    assert long == {}, f"split these by role: {long}"
