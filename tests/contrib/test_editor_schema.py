"""The front-matter JSON Schema for editors: committed, current, wired into VS Code, and in
agreement with what `olwsite check` accepts and rejects."""

from __future__ import annotations

import datetime as dt
import fnmatch
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from olwsite.cli import main
from olwsite.load import Loaded, split_page
from olwsite.model import build_model
from olwsite.paths import SrcPath

from ..conftest import FIXTURES, REPO, make_project, run_cli

SCHEMA_FILE = REPO / "schema" / "front-matter.schema.json"
MODELINE = "# yaml-language-server: $schema=../../schema/front-matter.schema.json"


def editor_view(value: Any) -> Any:
    """Front-matter as an editor's YAML server sees it: YAML 1.2 has no date type, so a
    date is the ISO text it was written as."""
    if isinstance(value, dict):
        return {key: editor_view(item) for key, item in value.items()}
    if isinstance(value, list):
        return [editor_view(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def front_matter_of(text: str) -> Any:
    head, sep, _ = text.removeprefix("---\n").partition("\n---\n")
    assert sep
    return editor_view(yaml.safe_load(head))


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_the_committed_schema_is_what_olwsite_schema_prints() -> None:
    out = io.StringIO()
    assert main(["schema"], out=out) == 0
    assert SCHEMA_FILE.read_text(encoding="utf-8") == out.getvalue(), (
        "schema/front-matter.schema.json is stale: run "
        "`olwsite schema > schema/front-matter.schema.json`")


def test_olwsite_schema_needs_no_project(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["-C", str(tmp_path), "schema"], out=out) == 0
    assert json.loads(out.getvalue())["title"] == "olwsite page front-matter"


def test_every_page_of_the_real_curriculum_is_valid(
        validator: jsonschema.protocols.Validator) -> None:
    pages = sorted((REPO / "content").rglob("*.md"))
    assert len(pages) > 30
    problems = {
        page.relative_to(REPO).as_posix(): [e.message for e in validator.iter_errors(
            front_matter_of(page.read_text(encoding="utf-8")))]
        for page in pages
    }
    assert {path: errs for path, errs in problems.items() if errs} == {}


def test_a_fresh_scaffold_is_valid_too(tmp_path: Path,
                                       validator: jsonschema.protocols.Validator) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    for args in (["model", "Phi-4"], ["topic", "Paged attention", "--track", "basics"]):
        src = run_cli(root, "new", *args).out.strip()
        text = (root / src).read_text(encoding="utf-8")
        assert list(validator.iter_errors(front_matter_of(text))) == []


VALID_PAGE = """\
---
title: Paged attention
tier: 2
prerequisites: [attention]
last_reviewed: 2026-01-15
tags: [serving]
family:
  name: Paged
  released: 2023-09-12
  context: 32K
---
## Why it matters
The KV cache in pages.
"""

# (what is wrong, the line to replace, its replacement) for one key of VALID_PAGE
WRONG_TYPES = [
    ("title is a list", "title: Paged attention", "title: [Paged, attention]"),
    ("tier is a word", "tier: 2", "tier: two"),
    ("prerequisites is a mapping", "prerequisites: [attention]",
     "prerequisites: {attention: 1}"),
    ("a tag is a number", "tags: [serving]", "tags: [serving, 42]"),
    ("last_reviewed is not a date", "last_reviewed: 2026-01-15", "last_reviewed: recently"),
    ("family is text", "family:\n  name: Paged\n  released: 2023-09-12\n  context: 32K",
     "family: Paged"),
    ("released is not a date", "  released: 2023-09-12", "  released: soon"),
]


def test_the_valid_page_is_valid_for_both(tmp_path: Path,
                                          validator: jsonschema.protocols.Validator) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    (root / "content" / "basics" / "paged.md").write_text(VALID_PAGE, encoding="utf-8")
    assert list(validator.iter_errors(front_matter_of(VALID_PAGE))) == []
    diags = json.loads(run_cli(root, "check", "--format", "json").out)
    assert [d for d in diags if d["path"] == "content/basics/paged.md"
            and d["severity"] != "info"] == []


@pytest.mark.parametrize(("what", "old", "new"), WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_a_wrong_type_is_rejected_by_the_schema_and_by_check_at_its_line(
        tmp_path: Path, validator: jsonschema.protocols.Validator,
        what: str, old: str, new: str) -> None:
    assert VALID_PAGE.count(old) == 1
    text = VALID_PAGE.replace(old, new)
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    (root / "content" / "basics" / "paged.md").write_text(text, encoding="utf-8")
    assert list(validator.iter_errors(front_matter_of(text))), f"the schema accepts: {what}"
    line = text.split("\n").index(new.split("\n", maxsplit=1)[0]) + 1
    run = run_cli(root, "check", "--format", "json")
    assert run.code == 1
    e202 = [(d["path"], d["line"]) for d in json.loads(run.out) if d["code"] == "E202"]
    assert e202 == [("content/basics/paged.md", line)]


def test_vscode_maps_the_schema_onto_every_content_page() -> None:
    settings = json.loads((REPO / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    mapping = settings["yaml.schemas"]
    globs = mapping["./schema/front-matter.schema.json"]
    assert (REPO / "schema" / "front-matter.schema.json").is_file()
    for page in (REPO / "content").rglob("*.md"):
        rel = page.relative_to(REPO).as_posix()
        assert any(fnmatch.fnmatch(rel, glob) for glob in globs), rel
    recommended = json.loads((REPO / ".vscode" / "extensions.json").read_text("utf-8"))
    assert "redhat.vscode-yaml" in recommended["recommendations"]


def test_the_modeline_path_reaches_the_schema_and_check_ignores_the_comment(
        tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    page = root / "content" / "basics" / "paged.md"
    page.write_text(VALID_PAGE.replace("---\n", f"---\n{MODELINE}\n", 1), encoding="utf-8")
    target = MODELINE.split("$schema=", 1)[1]
    assert (REPO / "content" / "models" / target).resolve() == SCHEMA_FILE.resolve()
    diags = json.loads(run_cli(root, "check", "--format", "json").out)
    assert [d for d in diags if d["path"] == "content/basics/paged.md"
            and d["severity"] != "info"] == []
    assert MODELINE in (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")


def test_the_vscode_check_task_puts_every_diagnostic_in_the_problems_panel(
        tmp_path: Path) -> None:
    tasks = json.loads((REPO / ".vscode" / "tasks.json").read_text(encoding="utf-8"))
    task = next(t for t in tasks["tasks"] if t["label"] == "olwsite check")
    assert task["command"] == "olwsite check"
    matcher = task["problemMatcher"]
    assert matcher["fileLocation"] == ["relative", "${workspaceFolder}"]
    pattern = matcher["pattern"]
    regexp = re.compile(pattern["regexp"])  # the JavaScript pattern is valid Python too
    root = make_project(tmp_path, FIXTURES / "unknown-prerequisite")
    text = run_cli(root, "check").err
    expected = json.loads(run_cli(root, "check", "--format", "json").out)
    matched = [m for m in map(regexp.match, text.splitlines()) if m]
    found = [{"path": m[pattern["file"]], "line": int(m[pattern["line"]]),
              "col": int(m[pattern["column"]]), "severity": m[pattern["severity"]],
              "code": m[pattern["code"]], "message": m[pattern["message"]]} for m in matched]
    keys = ("path", "line", "col", "severity", "code", "message")
    assert found == [{k: d[k] for k in keys} for d in expected]
    assert {d["severity"] for d in expected} == {"error", "info"}


def values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values valid under the subset of JSON Schema that `olwsite schema` uses."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        if "properties" in schema:
            props = {k: values(v) for k, v in schema["properties"].items()}
            required = set(schema.get("required", []))
            return st.fixed_dictionaries(
                {k: s for k, s in props.items() if k in required},
                optional={k: s for k, s in props.items() if k not in required})
        return st.dictionaries(st.from_regex(schema["propertyNames"]["pattern"], fullmatch=True),
                               values(schema["additionalProperties"]), max_size=3)
    if kind == "array":
        return st.lists(values(schema["items"]), max_size=3)
    if kind == "integer":
        return st.integers(min_value=schema.get("minimum", -(10**6)), max_value=10**6)
    if kind == ["string", "number"]:
        return st.one_of(st.text(max_size=8), st.integers(),
                         st.floats(allow_nan=False, allow_infinity=False))
    assert kind == "string", schema
    if schema.get("format") == "date":
        return st.dates().map(dt.date.isoformat)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=schema["pattern"].startswith("^"))
    return st.text(max_size=20)


SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


@settings(max_examples=150, deadline=None)
@given(values(SCHEMA))
def test_front_matter_the_schema_accepts_has_no_type_error_for_the_checker(
        front: dict[str, Any]) -> None:
    cls = jsonschema.validators.validator_for(SCHEMA)
    cls(SCHEMA, format_checker=cls.FORMAT_CHECKER).validate(front)  # the generator is right
    text = "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\nBody.\n"
    raw, problems = split_page(text, SrcPath("content/t/page.md"))
    assert raw is not None and problems == []
    raw.stem, raw.track_dir = "page", "t"
    _pages, _cur, diags = build_model(Loaded(pages=[raw]))
    wrong = [d for d in diags if d.code in ("E201", "E202")
             or (d.code == "E205" and not d.message.startswith("layer "))]
    assert wrong == []
