"""Incremental builds: content hashes decide what is rendered and written, and whatever
changed, the docs folder ends up byte-identical to what a clean build would make."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import copy_real_project, run_cli

R1 = "content/models/deepseek-r1.md"


def snapshot(docs: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(docs).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(docs.rglob("*")) if p.is_file()}


def clean_build(root: Path, elsewhere: Path) -> dict[str, bytes]:
    """The docs a clean build of ``root``'s current inputs makes, in a fresh folder."""
    elsewhere.mkdir()
    for name in ("content", "graph", "templates"):
        shutil.copytree(root / name, elsewhere / name)
    shutil.copy(root / "mkdocs.yml", elsewhere / "mkdocs.yml")
    shutil.copytree(root / ".olwsite-cache", elsewhere / ".olwsite-cache")
    (elsewhere / ".olwsite-cache" / "build.json").unlink()  # verdicts kept, manifest not
    assert run_cli(elsewhere, "build").code == 0
    return {rel: data for rel, (data, _) in snapshot(elsewhere / "docs").items()}


def rewritten(before: dict[str, tuple[bytes, int]],
              after: dict[str, tuple[bytes, int]]) -> set[str]:
    return {rel for rel, (_, mtime) in after.items()
            if rel not in before or before[rel][1] != mtime}


def changed(before: dict[str, tuple[bytes, int]],
            after: dict[str, tuple[bytes, int]]) -> set[str]:
    return {rel for rel, (data, _) in after.items()
            if rel not in before or before[rel][0] != data}


def edit(root: Path, src: str, old: str, new: str) -> None:
    path = root / src
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_with_no_change_the_build_runs_nothing_and_writes_nothing(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")
    again = run_cli(root, "build")
    assert again.code == 0
    assert "docs/ is up to date" in again.out
    assert snapshot(root / "docs") == before


def test_a_prerequisite_edit_updates_every_box_it_touches_and_nothing_else(
        tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")
    distillation = (root / "docs/training/distillation.md").read_text(encoding="utf-8")
    assert "- [DeepSeek-R1](../models/deepseek-r1.md) · Layer" in distillation

    edit(root, R1, "prerequisites: [deepseek-v2-v3, rl-verifiable-rewards, distillation]",
         "prerequisites: [deepseek-v2-v3, rl-verifiable-rewards]")
    result = run_cli(root, "build")
    assert result.code == 0, result.err
    after = snapshot(root / "docs")

    # the page it no longer requires drops it from its derived topics
    distillation = (root / "docs/training/distillation.md").read_text(encoding="utf-8")
    assert "- [DeepSeek-R1](../models/deepseek-r1.md) · Layer" not in distillation
    assert {"training/distillation.md", "models/deepseek-r1.md", "before/deepseek-r1.md",
            "before/distillation.md", "atlas/graph.json"} <= changed(before, after)
    # the result is exactly a clean build's, and only files whose text changed were written
    assert {rel: data for rel, (data, _) in after.items()} == clean_build(
        root, tmp_path / "clean")
    assert rewritten(before, after) == changed(before, after)


def test_a_prose_edit_renders_only_its_own_page(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")

    edit(root, R1, "## Why it matters\n", "## Why it matters\n\nA new first sentence.\n")
    result = run_cli(root, "build")
    assert result.code == 0, result.err
    after = snapshot(root / "docs")

    assert changed(before, after) == {"models/deepseek-r1.md"}
    assert rewritten(before, after) == {"models/deepseek-r1.md"}
    assert "A new first sentence." in (root / "docs" / "models/deepseek-r1.md").read_text(
        encoding="utf-8")
    assert {rel: data for rel, (data, _) in after.items()} == clean_build(
        root, tmp_path / "clean")


def test_a_generated_file_edited_or_deleted_by_hand_is_restored(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")
    (root / "docs/before/deepseek-r1.md").unlink()
    (root / "docs/atlas/graph.json").unlink()
    (root / "docs/models/qwen.md").write_text("edited by hand\n", encoding="utf-8")
    (root / "docs/stray.md").write_text("not generated\n", encoding="utf-8")

    result = run_cli(root, "build")
    assert result.code == 0, result.err
    assert "up to date" not in result.out
    after = snapshot(root / "docs")
    assert {rel: data for rel, (data, _) in after.items()} == {
        rel: data for rel, (data, _) in before.items()}


def test_damaged_caches_cost_time_never_a_wrong_site(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    expected = {rel: data for rel, (data, _) in snapshot(root / "docs").items()}
    cache = root / ".olwsite-cache"
    memo = cache / "pages.json"
    damaged = memo.read_text(encoding="utf-8").replace('"fences":[', '"fences":[7,', 3)
    memo.write_text(damaged.replace('"keys":[', '"keys":[null,', 3), encoding="utf-8")
    (cache / "build.json").write_text('{"format": 1, "outputs": [1, 2]}', encoding="utf-8")

    result = run_cli(root, "build")
    assert result.code == 0, result.err
    assert "up to date" not in result.out
    assert {rel: data for rel, (data, _) in snapshot(root / "docs").items()} == expected


def test_check_after_a_build_with_no_change_repeats_its_findings(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    fresh = run_cli(root, "check", "--format", "json")
    assert "no input changed since the last build" in run_cli(root, "check").out
    edit(root, R1, "tier: 3", "tier: 1")  # now below its prerequisites' tier: a warning
    changed_page = run_cli(root, "check", "--format", "json")
    assert changed_page.out != fresh.out and "W" in changed_page.out
    assert run_cli(root, "check", "--strict").code == 1
