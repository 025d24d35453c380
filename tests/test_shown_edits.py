"""Edits to what others show of a page (its title or summary) that leave the graph as it
was: `olwsite build` renders the pages that show it from the stored graph (edit.py), and
the site, the report and the render keys are exactly a full build's. An edit that
changes the graph, or a family's row, takes the full pipeline."""

from __future__ import annotations

import json
import random
from pathlib import Path

from olwsite.project import find_project
from olwsite.synthetic import generate

from .conftest import REPO, copy_real_project, run_cli
from .test_body_edits import checked, docs_of, full_check, report
from .test_incremental import changed, clean_build, edit, snapshot

QLORA = "content/efficiency/qlora.md"  # in a curated path, uses a lab
RMSNORM = "content/foundations/rmsnorm.md"
LORA = "content/efficiency/lora.md"
SHOWN_PATH = "not the graph"


def build(root: Path, *, shown_edit: bool) -> str:
    result = run_cli(root, "build")
    assert result.code == 0, result.err
    assert (SHOWN_PATH in result.out) == shown_edit, result.out
    return result.out


def keys(root: Path) -> dict[str, str]:
    """The render key the build recorded for each output."""
    manifest = json.loads((root / ".olwsite-cache/build.json").read_text(encoding="utf-8"))
    return {dest: entry[0] for dest, entry in manifest["outputs"].items()}


def assert_as_full_build(root: Path, clean: Path) -> None:
    assert docs_of(root) == clean_build(root, clean)
    assert report(root) == report(clean)
    assert keys(root) == keys(clean)


def test_a_title_edit_rebuilds_every_page_that_shows_the_title(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")
    edit(root, QLORA, "title: QLoRA\n", "title: QLoRA (4-bit LoRA)\n")
    assert "only 1 page changed, not the graph" in build(root, shown_edit=True)

    rewritten = changed(before, snapshot(root / "docs"))
    assert {"efficiency/qlora.md", "efficiency/lora.md",  # the page and a prerequisite
            "before/qlora.md", "before/lora.md", "before/decoder-only-transformer.md",
            "efficiency/index.md", "labs/qlora-finetune.md", "paths.md",
            "atlas/graph.json"} <= rewritten
    assert not any(dest.startswith("training/") for dest in rewritten)
    for dest in rewritten:
        assert "QLoRA (4-bit LoRA)" in (root / "docs" / dest).read_text(encoding="utf-8")
    assert_as_full_build(root, tmp_path / "clean")

    # and a full build afterwards renders nothing again: every key is in place
    out = run_cli(root, "build", "--quiet")
    assert out.code == 0
    (root / ".olwsite-cache/basis.json").unlink()  # no edit path: the full pipeline
    edit(root, RMSNORM, "## Why it matters\n", "## Why it matters\n\nAn edit.\n")
    before = snapshot(root / "docs")
    assert SHOWN_PATH not in run_cli(root, "build").out
    assert changed(before, snapshot(root / "docs")) == {"foundations/rmsnorm.md"}


def test_summary_and_body_edits_to_several_pages_at_once(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    for n in range(2):
        edit(root, RMSNORM, "summary: ", f"summary: Edit {n}. ")
        edit(root, LORA, "## Why it matters\n", f"## Why it matters\n\nEdit {n}.\n")
        edit(root, QLORA, "title: QLoRA", f"title: QLoRA {n}")
        assert "only 3 pages changed, not the graph" in build(root, shown_edit=True)
    assert_as_full_build(root, tmp_path / "clean")


def test_front_matter_problems_are_found_again(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    # a misspelt key and a placeholder in a new last line: no position above it moves
    edit(root, RMSNORM, "last_reviewed: 2026-11-26\n",
         "last_reviewed: 2026-11-26\nsumary: TODO\n")
    code, found, _ = checked(root)
    assert found == full_check(root)
    assert {line.split(" ")[1] for line in found if line.startswith(RMSNORM)} >= {
        "W201", "W202"}
    assert "W201" in run_cli(root, "build").err
    assert_as_full_build(root, tmp_path / "clean")

    edit(root, RMSNORM, "sumary: TODO\n", "")  # fixed again
    code, found, _ = checked(root)
    assert code == 0 and found == full_check(root)
    assert not any(line.startswith(RMSNORM) for line in found)
    build(root, shown_edit=True)
    assert_as_full_build(root, tmp_path / "clean-2")


def test_a_title_edit_with_an_error_fails_and_writes_nothing(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")
    edit(root, RMSNORM, "title: RMSNorm\n", 'title: ""\n')  # E202: empty
    result = run_cli(root, "build")
    assert result.code == 1 and "E202" in result.err and "Traceback" not in result.err
    assert snapshot(root / "docs") == before
    code, found, _ = checked(root)
    assert code == 1 and found == full_check(root)
    edit(root, RMSNORM, 'title: ""\n', "title: RMS normalization\n")
    build(root, shown_edit=True)
    assert_as_full_build(root, tmp_path / "clean")


def test_edits_to_the_graph_or_a_family_take_the_full_build(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    edits = [
        (RMSNORM, "prerequisites: [decoder-only-transformer]",
         "prerequisites: [decoder-only-transformer, attention-and-kv-cache]"),
        (RMSNORM, "tier: 1\n", "tier: 2\n"),
        (RMSNORM, "reading_time: 20\n", "reading_time: 21\n"),
        (RMSNORM, "title: RMSNorm\n", "title:\n  RMSNorm\n"),  # positions below move
        ("content/models/deepseek-r1.md", "title: DeepSeek-R1\n",
         "title: DeepSeek R1\n"),  # the family table shows it
    ]
    for n, (src, old, new) in enumerate(edits):
        edit(root, src, old, new)
        build(root, shown_edit=False)
        assert_as_full_build(root, tmp_path / f"clean-{n}")


def test_damaged_stored_graph_costs_a_full_build(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    stored = root / ".olwsite-cache/graph.json"
    data = json.loads(stored.read_text(encoding="utf-8"))
    data["pages"]["prerequisites"][0] = [10**6]  # a prerequisite that is not a page
    stored.write_text(json.dumps(data), encoding="utf-8")
    edit(root, RMSNORM, "title: RMSNorm\n", "title: RMS normalization\n")
    build(root, shown_edit=False)
    assert_as_full_build(root, tmp_path / "clean")

    # a body edit keeps the stored graph valid for the next title edit
    edit(root, RMSNORM, "## Why it matters\n", "## Why it matters\n\nMore.\n")
    assert "only the bodies of 1 page changed" in run_cli(root, "build").out
    edit(root, RMSNORM, "title: RMS normalization\n", "title: RMSNorm\n")
    build(root, shown_edit=True)
    assert_as_full_build(root, tmp_path / "clean-2")
    assert find_project(root).cache_dir == root / ".olwsite-cache"


def test_random_edits_to_a_synthetic_curriculum_stay_exact(tmp_path: Path) -> None:
    """Titles, summaries and bodies of one to three pages at a time, in a curriculum of
    modules whose foundation pages lead to most of the others."""
    root = tmp_path / "synthetic"
    generate(root, 90, 6.0, REPO, seed=3)
    assert run_cli(root, "build").code == 0
    rng = random.Random(11)
    pages = sorted((root / "content").rglob("*.md"))
    for step in range(8):
        shown = False
        for page in rng.sample(pages, rng.randint(1, 3)):
            text = page.read_text(encoding="utf-8")
            kind = rng.choice(["title", "summary", "body", "title and body"])
            if "title" in kind:
                text = text.replace("title: ", f"title: T{step} ", 1)
            if kind == "summary":
                text = text.replace("summary: ", f"summary: S{step} ", 1)
            if "body" in kind:
                text = text.replace("## Why it matters\n", f"## Why it matters\n\nB{step}.\n", 1)
            shown = shown or kind != "body"
            page.write_text(text, encoding="utf-8")
        build(root, shown_edit=shown)
        assert_as_full_build(root, tmp_path / f"clean-{step}")
