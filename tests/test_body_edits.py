"""Body edits: when only page bodies changed, `olwsite build` and `olwsite check` re-read
just those pages (edit.py), and the site and report are exactly a full build's. Any edit
that reaches beyond a body takes the full pipeline, and is just as exact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from olwsite.contexts import Contexts, encode_context, write_contexts
from olwsite.paths import Slug
from olwsite.pipeline import run
from olwsite.project import find_project

from .conftest import FIXTURES, Run, copy_real_project, make_project, run_cli
from .test_incremental import changed, clean_build, edit, rewritten, snapshot

R1 = "content/models/deepseek-r1.md"
QWEN = "content/models/qwen.md"
DISTILLATION = "content/training/distillation.md"
BODY_PATH = "only the bodies of"


def clean_root(root: Path, elsewhere: Path) -> Path:
    clean_build(root, elsewhere)
    return elsewhere


def docs_of(root: Path) -> dict[str, bytes]:
    return {rel: data for rel, (data, _) in snapshot(root / "docs").items()}


def report(root: Path) -> tuple[list[object], dict[str, int]]:
    manifest = json.loads((root / ".olwsite-cache/build.json").read_text(encoding="utf-8"))
    return manifest["diagnostics"], {k: manifest["stats"][k] for k in ("pages", "edges",
                                                                        "claims")}


def full_check(root: Path) -> list[str]:
    """What the full pipeline finds in ``root`` now, as check prints it."""
    return [f"{d.path}:{d.line}:{d.col}: {d.code} {d.message}"
            for d in run(find_project(root), render=False).diagnostics]


def checked(root: Path) -> tuple[int, list[str], str]:
    result = run_cli(root, "check", "--format", "json")
    found = [f"{d['path']}:{d['line']}:{d['col']}: {d['code']} {d['message']}"
             for d in json.loads(result.out)]
    return result.code, found, result.err


def build(root: Path, *, body_edit: bool) -> Run:
    """Build ``root``, which must succeed through the body-edit path or the full one."""
    result = run_cli(root, "build")
    assert result.code == 0, result.err
    assert (BODY_PATH in result.out) == body_edit, result.out
    return result


def built_then_edited(tmp_path: Path, src: str, old: str, new: str
                      ) -> tuple[Path, dict[str, tuple[bytes, int]]]:
    """The real project built, its docs folder's snapshot, then ``src`` edited and built
    again through the body-edit path."""
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")
    edit(root, src, old, new)
    assert f"{BODY_PATH} 1 page changed" in build(root, body_edit=True).out
    return root, before


def test_a_prose_edit_rebuilds_one_page_exactly_as_a_full_build(tmp_path: Path) -> None:
    root, before = built_then_edited(tmp_path, R1, "## Why it matters\n",
                                     "## Why it matters\n\nA new first sentence.\n")
    after = snapshot(root / "docs")
    assert changed(before, after) == rewritten(before, after) == {"models/deepseek-r1.md"}
    assert docs_of(root) == clean_build(root, tmp_path / "clean")
    assert report(root) == report(tmp_path / "clean")


def test_a_new_claim_updates_the_count_on_the_home_page(tmp_path: Path) -> None:
    root, before = built_then_edited(tmp_path, R1, "mu = 2 / 8\n", "mu = 2 / 8\nmu == 1 / 4\n")
    assert changed(before, snapshot(root / "docs")) == {"models/deepseek-r1.md", "index.md"}
    assert docs_of(root) == clean_build(root, tmp_path / "clean")
    assert report(root) == report(tmp_path / "clean")


def test_new_problems_in_a_body_fail_the_build_as_a_full_build_would(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")

    edit(root, R1, "mu = 2 / 8\n", "mu = 2 / 8\nmu == 0.3\n")  # a claim that fails
    edit(root, R1, "## Why it matters\n",
         "## Why it matters\n\nSee [nothing](nowhere.md). TODO: $\\frac{1}{$\n")
    code, found, _ = checked(root)
    assert code == 1
    assert found == full_check(root)
    assert {line.split(" ")[1] for line in found if line.startswith(R1)} >= {
        "E401", "E307", "W202", "W601"}

    result = run_cli(root, "build")
    assert result.code == 1
    assert "left as it was" in result.err
    assert snapshot(root / "docs") == before  # nothing written

    edit(root, R1, "mu == 0.3\n", "")  # fixed: the same path builds it
    edit(root, R1, "See [nothing](nowhere.md). TODO: $\\frac{1}{$\n", "")
    build(root, body_edit=True)
    assert docs_of(root) == clean_build(root, tmp_path / "clean")


def test_check_after_a_body_edit_reports_what_a_full_check_finds(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    edit(root, QWEN, "## Why it matters\n", "## Why it matters\n\nTODO: cite this.\n")

    code, found, _ = checked(root)
    assert code == 0
    assert found == full_check(root)
    assert any(line.startswith(f"{QWEN}:") and " W202 " in line for line in found)
    assert "re-checked" in run_cli(root, "check").out

    # built with the warning, then fixed: the warning goes from the report
    assert "W202" in build(root, body_edit=True).err
    edit(root, QWEN, "TODO: cite this.\n", "Cited.\n")
    code, found, _ = checked(root)
    assert found == full_check(root)
    assert not any(" W202 " in line for line in found)
    assert "W202" not in build(root, body_edit=True).err
    assert report(root) == report(clean_root(root, tmp_path / "clean"))


def test_edits_to_several_bodies_and_repeated_edits_stay_exact(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    for n in range(3):
        edit(root, R1, "## Why it matters\n", f"## Why it matters\n\nEdit {n}.\n")
        edit(root, QWEN, "## Why it matters\n", f"## Why it matters\n\nEdit {n}.\n")
        assert f"{BODY_PATH} 2 pages changed" in build(root, body_edit=True).out
    assert docs_of(root) == clean_build(root, tmp_path / "clean")
    assert report(root) == report(tmp_path / "clean")

    # a full build afterwards (a template changed) finds the edited pages' keys in place
    template = root / "templates/topic.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    build(root, body_edit=False)
    assert docs_of(root) == clean_build(root, tmp_path / "clean-2")


def test_edits_beyond_a_body_take_the_full_build(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    edits = [
        (R1, "title: DeepSeek-R1\n", "title: DeepSeek R1\n"),  # front-matter: a view
        (R1, "reading_time: 26\n", "reading_time: 27\n"),
        # the family table shows every family: its page re-renders with the full build
        ("content/models/llama-and-open-weight-models.md", "{{ family_table }}",
         "Every family:\n\n{{ family_table }}"),
    ]
    for n, (src, old, new) in enumerate(edits):
        edit(root, src, old, new)
        build(root, body_edit=False)
        assert docs_of(root) == clean_build(root, tmp_path / f"clean-{n}")

    # a page added, and a generated file edited by hand alongside a body edit
    shutil.copy(root / DISTILLATION, root / "content/training/distillation-copy.md")
    build(root, body_edit=False)
    (root / "docs/models/qwen.md").write_text("edited by hand\n", encoding="utf-8")
    edit(root, R1, "## Why it matters\n", "## Why it matters\n\nMore.\n")
    build(root, body_edit=False)
    assert docs_of(root) == clean_build(root, tmp_path / "clean-last")


def test_a_body_edit_that_changes_a_reading_time_takes_the_full_build(
        tmp_path: Path) -> None:
    root = make_project(tmp_path, FIXTURES / "valid-curriculum")
    assert run_cli(root, "build").code == 0
    page = root / "content/basics/tokens.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nword " * 300, encoding="utf-8")
    build(root, body_edit=False)  # 1 minute became 2: other pages show it
    assert "~2 min" in (root / "docs/basics/tokens.md").read_text(encoding="utf-8")


def test_damaged_edit_state_costs_a_full_build_never_a_wrong_site(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    cache = root / ".olwsite-cache"
    contexts = cache / "contexts.bin"
    data = bytearray(contexts.read_bytes())
    data[-40:] = b"\0" * 40  # the last context no longer decompresses
    contexts.write_bytes(bytes(data))
    last = json.loads(contexts.read_bytes().split(b"\n")[1])
    slug = max(last, key=lambda s: last[s][1])
    src = next(p for p in (root / "content").rglob(f"{slug}.md"))
    edit(root, src.relative_to(root).as_posix(), "## Why it matters\n",
         "## Why it matters\n\nChanged.\n")
    build(root, body_edit=False)
    assert docs_of(root) == clean_build(root, tmp_path / "clean")

    # a forged context, stored under the right key but not what the template expects
    stored = Contexts(contexts)
    blobs = stored.blobs({slug: entry[0] for slug, entry in stored.index.items()})
    key, _ = blobs[Slug("deepseek-r1")]
    blobs[Slug("deepseek-r1")] = key, encode_context({"page": 5, "prerequisites": 5})
    write_contexts(contexts, blobs)
    edit(root, R1, "## Why it matters\n", "## Why it matters\n\nForged.\n")
    build(root, body_edit=False)
    assert docs_of(root) == clean_build(root, tmp_path / "clean-1")

    (cache / "basis.json").write_text('{"format": 2, "pages": [1]}', encoding="utf-8")
    edit(root, R1, "## Why it matters\n", "## Why it matters\n\nAgain.\n")
    build(root, body_edit=False)
    assert docs_of(root) == clean_build(root, tmp_path / "clean-2")
