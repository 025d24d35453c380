"""The `olwsite-check` pre-commit hook: its definition, and `pre-commit try-repo` against
small git repositories holding a valid and a broken curriculum.

try-repo installs the hook into a fresh virtual environment from a git repository of
olwsite (a snapshot of this working tree, so uncommitted and untracked changes count), which
needs only PyPI. It always uses a throw-away store, so each run installs olwsite and its
dependencies anew (about a minute and a half here); the two runs go in parallel.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ..conftest import FIXTURES, REPO

HOOKS_FILE = REPO / ".pre-commit-hooks.yaml"
# what `pip install .` of olwsite needs from the checkout
PACKAGE_FILES = ("pyproject.toml", "README.md", "olwsite", ".pre-commit-hooks.yaml")
GIT_ENV = {"GIT_AUTHOR_NAME": "olwsite tests", "GIT_AUTHOR_EMAIL": "tests@olwsite.invalid",
           "GIT_COMMITTER_NAME": "olwsite tests", "GIT_COMMITTER_EMAIL": "tests@olwsite.invalid",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
BROKEN_PAGE = """\
---
title: Flash attention
prerequisites: [atention]
---
## Why it matters
Attention without writing the score matrix to memory.
"""


def hook() -> dict[str, object]:
    hooks = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    return next(h for h in hooks if h["id"] == "olwsite-check")


def test_the_hook_runs_check_strictly_once_per_commit_that_touches_the_curriculum() -> None:
    h = hook()
    assert h["entry"] == "olwsite check --strict"
    assert h["language"] == "python"
    assert h["pass_filenames"] is False
    files = re.compile(str(h["files"]))
    for path in ("content/models/phi-4.md", "graph/curriculum.yml", "templates/topic.md.j2",
                 "templates/site/assets/olwsite.css"):
        assert files.search(path), path
    for path in ("README.md", "olwsite/cli.py", "docs/index.md", "tests/content/x.md"):
        assert not files.search(path), path


def git_repo(folder: Path) -> Path:
    env = {**os.environ, **GIT_ENV}
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=folder, env=env, check=True)
    return folder


def hook_repo(tmp: Path) -> Path:
    """olwsite as pre-commit sees a repository of it: the working tree's package files."""
    root = tmp / "olwsite"
    root.mkdir()
    for name in PACKAGE_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, root / name)
    return git_repo(root)


def curriculum_repo(tmp: Path, name: str, broken: bool) -> Path:
    root = tmp / name
    shutil.copytree(FIXTURES / "valid-curriculum" / "content", root / "content")
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "mkdocs.yml").write_text("site_name: fixture\ndocs_dir: docs\n", encoding="utf-8")
    (root / ".gitignore").write_text("/docs/\n/site/\n/.olwsite-cache/\n", encoding="utf-8")
    if broken:
        (root / "content" / "basics" / "flash-attention.md").write_text(BROKEN_PAGE, "utf-8")
    return git_repo(root)


@pytest.fixture(scope="module")
def try_repo_runs(tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    tmp = tmp_path_factory.mktemp("pre-commit")
    olwsite = hook_repo(tmp)
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp / "store"),
           "PRE_COMMIT_COLOR": "never", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "PATH": os.pathsep.join([str(Path(sys.executable).parent),
                                    os.environ.get("PATH", "")])}
    env.pop("VIRTUAL_ENV", None)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(olwsite), "olwsite-check",
               "--all-files"]
    running = {
        name: subprocess.Popen(command, cwd=curriculum_repo(tmp, name, name == "broken"),
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
        for name in ("valid", "broken")
    }
    results = {}
    for name, process in running.items():
        out, _ = process.communicate(timeout=900)
        results[name] = subprocess.CompletedProcess(command, process.returncode, out, "")
    yield results


def test_try_repo_passes_on_a_valid_curriculum(
        try_repo_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = try_repo_runs["valid"]
    assert run.returncode == 0, run.stdout
    assert re.search(r"^olwsite check\.+Passed$", run.stdout, re.M), run.stdout


def test_try_repo_fails_on_a_broken_curriculum_and_says_where(
        try_repo_runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    run = try_repo_runs["broken"]
    assert run.returncode == 1, run.stdout
    assert re.search(r"^olwsite check\.+Failed$", run.stdout, re.M), run.stdout
    assert ("content/basics/flash-attention.md:3:17: error[E301] unknown prerequisite "
            "'atention'") in run.stdout
    assert "did you mean 'attention'?" in run.stdout
