"""`olwsite check --format github` prints GitHub Actions workflow commands:
`::error file=…,line=…,col=…,title=…::message`, one a line, with property values escaped
(% \\r \\n : ,) and the message escaped (% \\r \\n) as the Actions runner expects."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from olwsite.diagnostics import REGISTRY, Diagnostic, Severity
from olwsite.report import format_github

from ..conftest import FIXTURES, make_project, run_cli

COMMAND = re.compile(r"^::(?P<command>error|warning|notice) (?P<props>[^:\r\n]*)::(?P<data>.*)$")
PROPERTY = re.compile(r"^(?P<key>file|line|col|endLine|endColumn|title)=(?P<value>[^,:\r\n]*)$")


def unescape(text: str) -> str:
    """The Actions runner's unescaping of command values, in its order."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","),
                         ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    props = {}
    for item in match["props"].split(","):
        prop = PROPERTY.match(item)
        assert prop, f"bad property {item!r} in {line!r}"
        props[prop["key"]] = unescape(prop["value"])
    assert "%" not in re.sub(r"%(25|0D|0A)", "", match["data"]), "a bare % in the message"
    return match["command"], props, unescape(match["data"])


def test_every_line_for_a_broken_tree_is_a_workflow_command_with_its_location(
        tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "unknown-prerequisite")
    run = run_cli(root, "check", "--format", "github")
    assert run.code == 1 and run.err == ""
    expected = json.loads(run_cli(root, "check", "--format", "json").out)
    lines = run.out.splitlines()
    assert len(lines) == len(expected) > 0
    for line, diag in zip(lines, expected, strict=True):
        command, props, message = parse(line)
        assert command == {"error": "error", "warning": "warning", "info": "notice"}[
            diag["severity"]]
        assert props == {"file": diag["path"], "line": str(diag["line"]),
                         "col": str(diag["col"]), "title": f"{diag['code']} {diag['name']}"}
        assert message == f"{diag['message']}\nhint: {diag['hint']}"


def test_a_clean_tree_prints_no_command(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    run = run_cli(root, "check", "--format", "github")
    assert run.code == 0
    assert [line for line in run.out.splitlines() if line.startswith("::")] == []


@pytest.mark.parametrize("severity", list(Severity))
def test_special_characters_survive_the_round_trip(severity: Severity) -> None:
    diag = Diagnostic("E401", "claim 50% off: 3, not 4\r\nsecond line", "content/a,b:c%d.md",
                      7, 3, severity=severity, hint="use ≈ 84M, or 100%: see\nthe table")
    line = format_github(diag)
    assert "\n" not in line and "\r" not in line
    command, props, message = parse(line)
    assert command == {Severity.ERROR: "error", Severity.WARNING: "warning",
                       Severity.INFO: "notice"}[severity]
    assert props == {"file": "content/a,b:c%d.md", "line": "7", "col": "3",
                     "title": f"E401 {REGISTRY['E401'].name}"}
    assert message == ("claim 50% off: 3, not 4\r\nsecond line\n"
                       "hint: use ≈ 84M, or 100%: see\nthe table")
