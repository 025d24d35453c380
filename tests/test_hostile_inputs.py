"""Broken and hostile input applied to a copy of the real content: each ends in a located
diagnostic and exit 1, with no traceback, in bounded time, and nothing is written; after
a successful build (where an edit to an existing page takes the edit path), the site is
left exactly as it was."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import copy_real_project, run_cli
from .test_incremental import snapshot

T = "content/training"


def empty_file(root: Path) -> tuple[str, str]:
    (root / T / "empty.md").write_bytes(b"")
    return "E104", f"{T}/empty.md"


def unterminated(root: Path) -> tuple[str, str]:
    (root / T / "open.md").write_text("---\ntitle: Open\nno end\n", encoding="utf-8")
    return "E105", f"{T}/open.md"


def tabs_in_yaml(root: Path) -> tuple[str, str]:
    (root / T / "tabs.md").write_text("---\ntitle: T\nprerequisites:\n\t- rlhf\n---\n",
                                      encoding="utf-8")
    return "E106", f"{T}/tabs.md"


def alias_bomb(root: Path) -> tuple[str, str]:
    rows = ["---", "title: Bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (root / T / "bomb.md").write_text("\n".join([*rows, "---", ""]), encoding="utf-8")
    return "E109", f"{T}/bomb.md"


def huge_page(root: Path) -> tuple[str, str]:
    with (root / T / "huge.md").open("w", encoding="utf-8") as handle:
        handle.write("---\ntitle: Huge\n---\n")
        line = "word " * 20 + "\n"
        handle.write(line * (50_000_000 // len(line)))
    return "E103", f"{T}/huge.md"


def binary_data(root: Path) -> tuple[str, str]:
    (root / T / "binary.md").write_bytes(bytes(range(256)) * 64)
    return "E101", f"{T}/binary.md"


def symlink_out(root: Path) -> tuple[str, str]:
    outside = root.parent / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\n", encoding="utf-8")
    os.symlink(outside, root / T / "secret.md")
    return "E108", f"{T}/secret.md"


def dotdot_slug(root: Path) -> tuple[str, str]:
    (root / T / "..md").write_text("---\ntitle: Dots\n---\n", encoding="utf-8")
    return "E203", f"{T}/..md"


def cycle_of_1000(root: Path) -> tuple[str, str]:
    folder = root / "content" / "ring"
    folder.mkdir()
    for i in range(1000):
        prev = f"ring-{(i - 1) % 1000:04d}"
        (folder / f"ring-{i:04d}.md").write_text(
            f"---\ntitle: Ring {i}\nprerequisites: [{prev}]\n---\nBody.\n", encoding="utf-8")
    return "E302", "content/ring/ring-0000.md"


def ten_thousand_prerequisites(root: Path) -> tuple[str, str]:
    names = ", ".join(f"missing-{i}" for i in range(10_000))
    (root / T / "greedy.md").write_text(f"---\ntitle: Greedy\nprerequisites: [{names}]\n---\n",
                                        encoding="utf-8")
    return "E301", f"{T}/greedy.md"


def hostile_claim(root: Path) -> tuple[str, str]:
    page = root / T / "dpo.md"
    page.write_text(page.read_text(encoding="utf-8")
                    + "\n```check\n(10**4000)**4000 > 1\n```\n", encoding="utf-8")
    return "E407", f"{T}/dpo.md"


CASES: list[Callable[[Path], tuple[str, str]]] = [
    empty_file, unterminated, tabs_in_yaml, alias_bomb, huge_page, binary_data, symlink_out,
    dotdot_slug, cycle_of_1000, ten_thousand_prerequisites, hostile_claim]


def refused(root: Path, case: Callable[[Path], tuple[str, str]],
            site_as_it_was: Callable[[], bool]) -> None:
    """``case`` applied to ``root``: the build fails with exit 1, no traceback, within
    10 s, leaving the site as it was, and check locates the problem."""
    code, path = case(root)
    started = time.perf_counter()
    run = run_cli(root, "build")
    seconds = time.perf_counter() - started
    assert run.code == 1, run.err[-2000:]
    assert "Traceback" not in run.err
    assert site_as_it_was(), "a failed build wrote output"
    check = run_cli(root, "check", "--format", "json")
    assert check.code == 1 and "Traceback" not in check.err
    found = [d for d in json.loads(check.out) if d["code"] == code and d["path"] == path]
    assert found and found[0]["line"] >= 1, code
    assert seconds < 10


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_broken_input_is_refused_with_a_located_diagnostic(
        case: Callable[[Path], tuple[str, str]], tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    refused(root, case, lambda: not (root / "docs").exists())


@pytest.mark.parametrize("case", CASES, ids=lambda f: f.__name__)
def test_broken_input_after_a_build_leaves_the_site_as_it_was(
        case: Callable[[Path], tuple[str, str]], tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    before = snapshot(root / "docs")  # contents and modification times
    refused(root, case, lambda: snapshot(root / "docs") == before)


def test_bom_and_crlf_pages_are_read_with_correct_positions(tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    page = root / T / "dpo.md"
    text = page.read_text(encoding="utf-8").replace("prerequisites: [rlhf]",
                                                     "prerequisites: [rlfh]")
    page.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    run = run_cli(root, "check", "--format", "json")
    [diag] = [d for d in json.loads(run.out) if d["code"] == "E301"]
    line = text.split("\n").index("prerequisites: [rlfh]") + 1
    assert (diag["path"], diag["line"], diag["col"]) == (f"{T}/dpo.md", line, 17)
    assert diag["hint"] == "did you mean 'rlhf'?"
