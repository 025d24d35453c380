"""`olwsite new model|topic NAME`: where the page lands, what it holds, and how `olwsite
check` keeps pointing at what is left to fill."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from olwsite.schema import FAMILY_FIELDS, PAGE_FIELDS

from ..conftest import FIXTURES, make_project, run_cli


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path, FIXTURES / "valid-curriculum")


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    head, sep, _body = text.removeprefix("---\n").partition("\n---\n")
    assert sep, "the page has a closing '---' line"
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data


def todo_lines(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").split("\n")
    return [number for number, line in enumerate(lines, 1) if "TODO" in line]


def w202_lines(root: Path, src: str) -> list[int]:
    run = run_cli(root, "check", "--format", "json")
    return sorted({d["line"] for d in json.loads(run.out)
                   if d["code"] == "W202" and d["path"] == src})


def test_a_model_page_lands_in_models_with_every_page_and_family_key(root: Path) -> None:
    run = run_cli(root, "new", "model", "Phi-4")
    assert run.code == 0, run.err
    assert run.out.strip() == "content/models/phi-4.md"
    front = front_matter(root / "content" / "models" / "phi-4.md")
    assert list(front) == [f.name for f in PAGE_FIELDS]
    family = front["family"]
    assert isinstance(family, dict)
    assert list(family) == [f.name for f in FAMILY_FIELDS]
    assert front["title"] == family["name"] == "Phi-4"
    assert front["track"] == "models"


def test_a_topic_page_lands_in_its_track_with_every_page_key_but_family(root: Path) -> None:
    run = run_cli(root, "new", "topic", "Flash Attention", "--track", "basics")
    assert run.code == 0, run.err
    assert run.out.strip() == "content/basics/flash-attention.md"
    front = front_matter(root / "content" / "basics" / "flash-attention.md")
    assert list(front) == [f.name for f in PAGE_FIELDS if f.name != "family"]
    assert (front["title"], front["track"]) == ("Flash Attention", "basics")


def test_a_topic_without_a_track_goes_to_foundations(root: Path) -> None:
    assert run_cli(root, "new", "topic", "RMSNorm").out.strip() == (
        "content/foundations/rmsnorm.md")


@pytest.mark.parametrize("kind", ["model", "topic"])
def test_the_scaffold_is_valid_and_w202_marks_every_todo_line(root: Path, kind: str) -> None:
    src = run_cli(root, "new", kind, "Draft Page").out.strip()
    page = root / src
    assert todo_lines(page), "the scaffold marks what is left to fill"
    check = run_cli(root, "check", "--format", "json")
    assert check.code == 0, "a fresh scaffold has warnings, never errors"
    assert not [d for d in json.loads(check.out) if d["severity"] == "error"]
    assert w202_lines(root, src) == todo_lines(page)
    assert run_cli(root, "check", "--strict").code == 1


def test_filling_a_line_removes_its_w202_and_only_its_own(root: Path) -> None:
    src = run_cli(root, "new", "model", "Phi-4").out.strip()
    page = root / src
    before = todo_lines(page)
    text = page.read_text(encoding="utf-8")
    org_line = text.split("\n").index("  org: TODO organisation") + 1
    page.write_text(text.replace("  org: TODO organisation", "  org: Microsoft"),
                    encoding="utf-8")
    assert w202_lines(root, src) == [n for n in before if n != org_line]


def test_a_page_with_no_todo_left_has_no_w202(root: Path) -> None:
    src = run_cli(root, "new", "topic", "Draft Page", "--track", "basics").out.strip()
    page = root / src
    kept = [line for line in page.read_text(encoding="utf-8").split("\n")
            if "TODO" not in line]
    page.write_text("\n".join(kept), encoding="utf-8")
    assert w202_lines(root, src) == []


def test_a_name_whose_slug_exists_is_refused_with_exit_2(root: Path) -> None:
    existing = root / "content" / "models" / "tiny-llm.md"
    before = existing.read_text(encoding="utf-8")
    run = run_cli(root, "new", "topic", "Tiny LLM", "--track", "basics")
    assert run.code == 2
    assert run.err.startswith(
        "olwsite: error: a page with slug 'tiny-llm' already exists: content/models/tiny-llm.md")
    assert not (root / "content" / "basics" / "tiny-llm.md").exists()
    assert existing.read_text(encoding="utf-8") == before


@pytest.mark.parametrize(("args", "message"), [
    (["new", "topic", "Index"], "the slug 'index' is reserved for generated pages"),
    (["new", "topic", "!!!"], "cannot derive a slug from '!!!'"),
    (["new", "topic", "Paged Attention", "--track", "Basics"], "track 'Basics' must be"),
])
def test_unusable_names_and_tracks_are_refused_with_exit_2(
        root: Path, args: list[str], message: str) -> None:
    run = run_cli(root, *args)
    assert run.code == 2 and message in run.err
    assert sorted(p.name for p in (root / "content").rglob("*.md")) == [
        "attention.md", "tiny-llm.md", "tokens.md"]


def test_a_track_missing_from_curriculum_yml_is_refused(root: Path) -> None:
    (root / "graph").mkdir()
    (root / "graph" / "curriculum.yml").write_text(
        "tracks:\n  - id: basics\n  - id: models\n", encoding="utf-8")
    run = run_cli(root, "new", "topic", "Paged Attention", "--track", "serving")
    assert run.code == 2
    assert "track 'serving' is not declared in graph/curriculum.yml (declared: basics, models)" in (
        run.err)


def test_titles_with_yaml_syntax_are_quoted_and_fact_names_start_with_a_letter(
        root: Path) -> None:
    src = run_cli(root, "new", "model", 'GPT-4o "mini": a # test').out.strip()
    assert src == "content/models/gpt-4o-mini-a-test.md"
    run = run_cli(root, "new", "model", "4o").out.strip()
    front = front_matter(root / run)
    family = front["family"]
    assert isinstance(family, dict) and list(family["facts"]) == ["model_4o_params"]
    assert front_matter(root / src)["title"] == 'GPT-4o "mini": a # test'
    errors = [d for d in json.loads(run_cli(root, "check", "--format", "json").out)
              if d["severity"] == "error"]
    assert errors == []
