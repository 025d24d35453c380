"""Shared fixtures: a fixture content tree becomes a project in a temporary folder."""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import pytest

from olwsite.cli import main

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINIMAL_MKDOCS = "site_name: fixture\ndocs_dir: docs\n"


def make_project(tmp: Path, source: Path | None = None) -> Path:
    """A project folder: the fixture's files, plus the repository's templates and a
    minimal mkdocs.yml where the fixture brings none."""
    root = tmp / "project"
    if source is not None:
        shutil.copytree(source, root, symlinks=True,
                        ignore=shutil.ignore_patterns("expected.txt"))
    root.mkdir(exist_ok=True)
    (root / "content").mkdir(exist_ok=True)
    if not (root / "mkdocs.yml").exists():
        (root / "mkdocs.yml").write_text(MINIMAL_MKDOCS, encoding="utf-8")
    if not (root / "templates").exists():
        shutil.copytree(REPO / "templates", root / "templates")
    return root


_warm_cache: list[Path] = []


def copy_real_project(tmp: Path, *, warm_cache: bool = True) -> Path:
    """A copy of the repository's own project (content, graph, templates, mkdocs.yml).

    With ``warm_cache``, the copy starts with the verification cache of an unchanged copy,
    made once per session: verdicts are keyed by content, so only what a test changes is
    verified again, and each test's timing reflects its own change.
    """
    root = tmp / "real"
    root.mkdir()
    for name in ("content", "graph", "templates"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    if warm_cache:
        if not _warm_cache:
            seed = copy_real_project(Path(tempfile.mkdtemp(prefix="olwsite-warm-")),
                                     warm_cache=False)
            run_cli(seed, "check")
            _warm_cache.append(seed / ".olwsite-cache")
        if _warm_cache[0].is_dir():
            shutil.copytree(_warm_cache[0], root / ".olwsite-cache")
    return root


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


def built_real_project(tmp: Path) -> Path:
    """copy_real_project, built: for module fixtures that read the generated folder."""
    root = copy_real_project(tmp)
    run = run_cli(root, "build")
    assert run.code == 0, run.err
    return root


def run_cli(root: Path, *args: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = main(["-C", str(root), *args], out=out, err=err)
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)
