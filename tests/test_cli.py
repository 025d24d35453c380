"""The command line contract: subcommands, formats and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .conftest import FIXTURES, make_project, run_cli

GITHUB_COMMAND = re.compile(
    r"^::(error|warning|notice) file=[^,:]+,line=\d+,col=\d+,title=[^:]+::.+$")


def test_graph_json_is_node_link_keyed_by_slug(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    run = run_cli(root, "graph", "--format", "json")
    assert run.code == 0
    data = json.loads(run.out)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {"tokens", "attention", "tiny-llm"}
    tiny = nodes["tiny-llm"]
    assert (tiny["title"], tiny["track"], tiny["tier"]) == ("Tiny LLM", "models", 2)
    assert nodes["attention"]["track"] == "basics"
    assert {(e["source"], e["target"]) for e in data["links"]} == {
        ("tokens", "attention"), ("attention", "tiny-llm")}


def test_graph_graphml_and_dot(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    graphml = run_cli(root, "graph", "--format", "graphml")
    assert graphml.code == 0 and "<graphml" in graphml.out and 'id="tiny-llm"' in graphml.out
    dot = run_cli(root, "graph", "--format", "dot")
    assert dot.out.startswith("digraph curriculum {") and '"tokens" -> "attention";' in dot.out


def test_graph_refuses_a_cyclic_graph(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "cycle")
    run = run_cli(root, "graph")
    assert run.code == 1 and "E302" in run.err and run.out == ""


def test_path_prints_reading_order_with_time(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    run = run_cli(root, "path", "tiny-llm")
    assert run.code == 0
    lines = run.out.splitlines()
    assert [line.split()[1] for line in lines[:-1]] == ["tokens", "attention", "tiny-llm"]
    assert lines[-1] == "3 pages, 3 min of reading"


def test_path_of_an_unknown_topic_is_bad_usage(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    run = run_cli(root, "path", "atention")
    assert run.code == 2 and "did you mean 'attention'?" in run.err


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    assert run_cli(root, "frobnicate").code == 2
    assert run_cli(root, "check", "--format", "xml").code == 2
    assert run_cli(tmp_path / "nowhere", "check").code == 2


def test_strict_turns_warnings_into_failure(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "redundant-prerequisite")
    assert run_cli(root, "check").code == 0
    assert run_cli(root, "check", "--strict").code == 1


def test_github_format_is_workflow_command_syntax(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "unknown-prerequisite")
    run = run_cli(root, "check", "--format", "github")
    lines = run.out.splitlines()
    assert lines and all(GITHUB_COMMAND.match(line) for line in lines), lines
    assert "::error file=content/t/llama-2.md,line=4,col=5,title=E301 unknown-prerequisite::" \
        in run.out


def test_summary_counts_and_no_traceback(tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "wrong-types")
    run = run_cli(root, "check")
    assert run.code == 1
    assert "5 errors, 0 warnings" in run.out
    assert "Traceback" not in run.err
