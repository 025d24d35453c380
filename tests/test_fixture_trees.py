"""Each folder under tests/fixtures/ is one behaviour: a content tree and the exact
diagnostics `olwsite check` must report for it (expected.txt, one per line:
`CODE path:line:col [message fragment] [| hint fragment]`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import FIXTURES, make_project, run_cli

CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.txt").exists())


def _expected(case: str) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in (FIXTURES / case / "expected.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        head, _, hint = line.partition(" | ")
        code, location, *message = head.split(" ", 2)
        rows.append((code, location, message[0] if message else "", hint))
    return sorted(rows, key=_location_key)


def _location_key(row: tuple[str, str, str, str]) -> tuple[str, int, int, str]:
    path, *numbers = row[1].split(":")
    line, col = (int(numbers[0]), int(numbers[1])) if numbers else (1, 1)
    return (path, line, col, row[0])


@pytest.mark.parametrize("case", CASES)
def test_fixture_reports_exactly_its_diagnostics(case: str, tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / case)
    run = run_cli(root, "check", "--format", "json")
    found = json.loads(run.out)
    expected = _expected(case)
    got = [(d["code"], f"{d['path']}:{d['line']}:{d['col']}") for d in found]
    assert len(got) == len(expected), f"{case}: got {got}"
    for (code, location, message, hint), diag in zip(expected, found, strict=True):
        assert diag["code"] == code, (case, got)
        if location.count(":") == 2:
            assert f"{diag['path']}:{diag['line']}:{diag['col']}" == location, (case, got)
        else:
            assert diag["path"] == location, (case, got)
        assert message in diag["message"], (case, diag["message"])
        assert hint in (diag["hint"] or ""), (case, diag["hint"])
    has_error = any(d["severity"] == "error" for d in found)
    assert run.code == (1 if has_error else 0)
    assert "Traceback" not in run.out + run.err


@pytest.mark.parametrize("case", CASES)
def test_text_output_has_the_contract_shape(case: str, tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / case)
    run = run_cli(root, "check")
    for code, location, _, _ in _expected(case):
        if location.count(":") == 2:
            assert f"{location}: " in run.err
        assert f"[{code}]" in run.err
    assert "Traceback" not in run.err
