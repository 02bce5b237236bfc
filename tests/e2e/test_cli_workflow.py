"""`qms workflow check | diagram | docs`, run as a user would, in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from qms.cli import main
from qms.config import get_settings

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / "workflows"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def workflows_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings are read once per process; read them again with the shipped folder."""
    monkeypatch.setenv("QMS_WORKFLOWS_DIR", str(WORKFLOWS))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_check_lists_every_shipped_workflow(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "workflow", "check")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 7
    assert (
        f"{WORKFLOWS / 'process-review.workflow.yaml'}: process_review version 2: valid "
        "(4 states, 3 transitions)"
    ) in lines


def test_check_of_a_bad_file_prints_file_and_line_and_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (WORKFLOWS / "process-review.workflow.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.workflow.yaml"
    bad.write_text(text.replace("roles: [pilot]\n    guards", "roles: [pilot, boss]\n    guards"))
    line = next(i for i, row in enumerate(bad.read_text().splitlines(), 1) if "boss" in row)
    code, out, err = run(capsys, "workflow", "check", str(bad))
    assert code == 1
    assert out == ""
    assert err.startswith(
        f"{bad}:{line}: transition 'hold' names unknown role 'boss' (known roles: "
    )


def test_check_of_several_files_reports_each(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "a.workflow.yaml").write_text("workflow: a\n")
    (tmp_path / "b.workflow.yaml").write_text("version: 1\n")
    code, _, err = run(capsys, "workflow", "check", str(tmp_path))
    assert code == 1
    files = {line.split(":")[0] for line in err.splitlines()}
    assert files == {str(tmp_path / "a.workflow.yaml"), str(tmp_path / "b.workflow.yaml")}


def test_diagram_prints_mermaid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "workflow", "diagram", "nonconformity")
    assert code == 0
    assert out.startswith("stateDiagram-v2\n    detected : Detected\n")
    assert "    [*] --> detected\n" in out
    assert "    effectiveness_verified --> closed : close (pilot, quality_manager)\n" in out


def test_diagram_of_an_unknown_workflow_names_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "workflow", "diagram", "complaint")
    assert (code, out) == (1, "")
    assert "no workflow named 'complaint'" in err
    assert "known: audit_finding, audit_programme, improvement_action, internal_audit" in err


def test_docs_prints_the_committed_page(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "workflow", "docs")
    assert code == 0
    assert out == (ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")


def test_workflow_group_is_listed_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert re.search(
        r"^  workflow +Check, draw, document and compare the workflow definitions\.$", out, re.M
    )
