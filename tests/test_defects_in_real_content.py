"""Defects introduced into a copy of the real content each give exit 1 and a located
diagnostic, with no traceback (the acceptance list of the foundation issue)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import copy_real_project, run_cli

GQA = "content/foundations/grouped-query-attention.md"
SWA = "content/foundations/sliding-window-attention.md"
ATTN = "content/foundations/attention-and-kv-cache.md"


def _edit(root: Path, rel: str, old: str, new: str, count: int = 1) -> int:
    """Replace text and return the 1-based line where the change landed."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return line


def _prereq_line(root: Path, rel: str, slug: str) -> int:
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("prerequisites:"))
    for i in range(start, len(lines)):
        if slug in lines[i]:
            return i + 1
    raise AssertionError(slug)


def typo(root: Path) -> tuple[str, str, int, str]:
    line = _prereq_line(root, GQA, "attention-and-kv-cache")
    _edit(root, GQA, "attention-and-kv-cache]", "attention-and-kv-cahce]")
    return "E301", GQA, line, "did you mean 'attention-and-kv-cache'?"


def cycle(root: Path) -> tuple[str, str, int, str]:
    _edit(root, ATTN, "prerequisites: [decoder-only-transformer]",
          "prerequisites: [decoder-only-transformer, grouped-query-attention]")
    return "E302", ATTN, _prereq_line(root, ATTN, "grouped-query-attention"), ""


def broken_yaml(root: Path) -> tuple[str, str, int, str]:
    line = _edit(root, SWA, "tier: 2", "tier: [2")
    return "E106", SWA, line + 1, ""


def duplicate_slug(root: Path) -> tuple[str, str, int, str]:
    (root / "content" / "training" / "rmsnorm.md").write_text(
        "---\ntitle: RMSNorm again\n---\nBody.\n", encoding="utf-8")
    return "E204", "content/training/rmsnorm.md", 1, ""


def non_utf8(root: Path) -> tuple[str, str, int, str]:
    path = root / SWA
    data = path.read_bytes().replace(b"title: ", b"title: \xff", 1)
    path.write_bytes(data)
    return "E101", SWA, 2, ""


def wrong_type(root: Path) -> tuple[str, str, int, str]:
    line = _edit(root, SWA, "tier: 2", "tier: two")
    return "E202", SWA, line, ""


@pytest.mark.parametrize("defect", [typo, cycle, broken_yaml, duplicate_slug, non_utf8,
                                    wrong_type], ids=lambda f: f.__name__)
def test_defect_is_reported_at_its_line(
        defect: Callable[[Path], tuple[str, str, int, str]], tmp_path: Path) -> None:
    root = copy_real_project(tmp_path)
    code, path, line, hint = defect(root)
    run = run_cli(root, "check", "--format", "json")
    assert run.code == 1
    found = [d for d in json.loads(run.out) if d["code"] == code]
    assert any(d["path"] == path and d["line"] == line for d in found), found
    if hint:
        assert any(hint in (d["hint"] or "") for d in found)
    text = run_cli(root, "check")
    assert "Traceback" not in text.err and f"{path}:{line}:" in text.err
