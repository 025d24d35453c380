"""Two builds of the same input give byte-identical output, whatever the order files were
written in, the time zone or the locale."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def _copy(dest: Path, reverse: bool) -> Path:
    dest.mkdir()
    for name in ("graph", "templates"):
        shutil.copytree(REPO / name, dest / name)
    shutil.copy(REPO / "mkdocs.yml", dest / "mkdocs.yml")
    pages = sorted((REPO / "content").rglob("*.md"), reverse=reverse)
    for page in pages:  # directory order follows creation order on most file systems
        target = dest / page.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(page, target)
    return dest


def _build(root: Path, tz: str, locale: str) -> dict[str, bytes]:
    env = {**os.environ, "TZ": tz, "LC_ALL": locale, "LANG": locale}
    subprocess.run([sys.executable, "-m", "olwsite", "build", "--quiet"], cwd=root, env=env,
                   check=True)
    docs = root / "docs"
    return {p.relative_to(docs).as_posix(): p.read_bytes()
            for p in sorted(docs.rglob("*")) if p.is_file()}


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    first = _build(_copy(tmp_path / "a", reverse=False), "UTC", "C.UTF-8")
    second = _build(_copy(tmp_path / "b", reverse=True), "Pacific/Kiritimati", "C")
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert not differing


# Run in a fresh interpreter: render_site forks only from a process without threads, and
# other tests leave threads behind (a live server, a browser driver).
PARALLEL_CHECK = """
import sys, threading
from pathlib import Path
from olwsite.pipeline import run
from olwsite.project import find_project
from olwsite.render import PARALLEL_FROM
from olwsite.synthetic import generate
root = Path(sys.argv[1])
generate(root, PARALLEL_FROM, 7.3, Path(sys.argv[2]))  # two outputs a topic: it forks
assert threading.active_count() == 1
project = find_project(root)
alone, forked = run(project, jobs=1), run(project, jobs=2)
assert not alone.has_errors and len(alone.outputs) > 2 * PARALLEL_FROM
assert list(forked.outputs.items()) == list(alone.outputs.items())
print("identical", len(alone.outputs))
"""


def test_parallel_rendering_gives_what_one_process_gives(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", PARALLEL_CHECK, str(tmp_path / "big"),
                           str(REPO)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("identical")


SCAN_AHEAD_CHECK = """
import shutil, sys, threading
from pathlib import Path
from olwsite import scan
from olwsite.pipeline import run
from olwsite.project import find_project
from olwsite.synthetic import generate
root = Path(sys.argv[1])
pages = scan.AHEAD_FROM
generate(root, pages, 7.3, Path(sys.argv[2]))
assert threading.active_count() == 1
project = find_project(root)
absorbed = []
take = scan.Ahead.take
scan.Ahead.take = lambda self, memo: absorbed.append(len(memo.entries())) or take(self, memo)
ahead = run(project)
shutil.rmtree(root / ".olwsite-cache", ignore_errors=True)
scan.AHEAD_FROM = 10**9
alone = run(project)
assert absorbed, "the helper never ran"
assert not alone.has_errors and alone.stats.pages == pages
assert list(ahead.outputs.items()) == list(alone.outputs.items())
assert ahead.diagnostics == alone.diagnostics
assert ahead.memo.entries() == alone.memo.entries()
print("identical", len(alone.memo.entries()))
"""


def test_scanning_ahead_in_a_helper_gives_what_one_process_gives(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCAN_AHEAD_CHECK, str(tmp_path / "big"),
                           str(REPO)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("identical")
