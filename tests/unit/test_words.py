"""Documents name things for people: plurals, counts, labels (qms.reporting.words)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qms.reporting.words import Words, number, plural, plural_of, readable, whole
from qms.workflow.registry import Registry

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (1, "breach proposal", "1 breach proposal"),
        (2, "breach proposal", "2 breach proposals"),
        (0, "action", "0 actions"),
        (1, "review input missing", "1 review input missing"),
        (3, "nonconformity", "3 nonconformities"),
        (2, "process", "2 processes"),
        (2, "breach", "2 breaches"),
        (4, "day", "4 days"),
        (5000, "action", "5,000 actions"),
    ],
)
def test_plural_agrees_with_the_count(count: int, noun: str, expected: str) -> None:
    if noun == "review input missing":
        assert plural(count, "review input", "review inputs") + " missing" == expected
    else:
        assert plural(count, noun) == expected


def test_plural_of_a_word_ending_in_a_consonant_and_y() -> None:
    assert plural_of("opportunity for improvement") == "opportunity for improvements"
    assert plural_of("entry") == "entries"
    assert plural_of("key") == "keys"


def test_counts_are_whole_and_values_drop_a_useless_decimal() -> None:
    assert whole(18.4) == "18"
    assert whole(1234) == "1,234"
    assert number(18.0) == "18"
    assert number(87.66) == "87.7"
    assert number(4.25, 2) == "4.25"
    assert number(None) == "—"


def test_codes_read_as_words() -> None:
    assert readable("major_nonconformity") == "Major nonconformity"
    assert readable("") == "—"


def test_labels_come_from_the_workflow_files_and_names_from_the_people() -> None:
    registry = Registry.from_folder(WORKFLOWS)
    words = Words(
        {"tbrunet": "Thomas Brunet"},
        {registry.current(n).record_kind: registry.current(n).label for n in registry.names},
        {
            (registry.current(n).record_kind, s.name): s.label
            for n in registry.names
            for s in registry.current(n).states.values()
        },
    )
    assert words.state("nonconformity", "action_planned") == "Corrective action planned"
    assert words.ref("nonconformity", 12) == "Nonconformity #12"
    assert words.person("tbrunet") == "Thomas Brunet"
    assert words.person("someone_else") == "someone_else"
    assert words.person(None) == "—"
    assert words.term("finding_type", "major_nonconformity") == "Major nonconformity"
    assert words.term("finding_type", "custom_kind") == "Custom kind"
    assert words.state("nonconformity", "retired_state") == "Retired state"
