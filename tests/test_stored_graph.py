"""The stored graph (stored_graph.py): what a full build stores reads back as the graph it
came from, and a damaged, forged or foreign file reads as missing, never as an error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from olwsite.pipeline import run
from olwsite.project import find_project
from olwsite.stored_graph import StoredGraph

from .conftest import copy_real_project, run_cli


def built(tmp_path: Path) -> tuple[Path, str]:
    root = copy_real_project(tmp_path)
    assert run_cli(root, "build").code == 0
    basis = json.loads((root / ".olwsite-cache/basis.json").read_text(encoding="utf-8"))
    return root / ".olwsite-cache/graph.json", basis["graph"]


def test_the_stored_graph_reads_back_as_the_graph(tmp_path: Path) -> None:
    path, inputs = built(tmp_path)
    stored = StoredGraph.read(path, inputs)
    assert stored is not None
    graph = run(find_project(tmp_path / "real"), render=False).graph
    assert graph is not None
    assert stored.order == graph.order
    for slug, page in graph.pages.items():
        mine = stored.pages[slug]
        assert (mine.title, mine.summary, mine.tier, mine.reading_time, mine.track) == (
            page.title, page.summary, page.tier, page.reading_time, page.track)
        assert stored.prerequisites(slug) == graph.prerequisites(slug)
        assert stored.derived(slug) == graph.derived(slug)
        assert stored.next_topics(slug) == graph.next_topics(slug)
        assert stored.ancestors(slug) == graph.ancestors(slug)
        assert stored.descendants(slug) == graph.descendants(slug)
    assert StoredGraph.read(path, "another build") is None


def test_damage_reads_as_missing(tmp_path: Path) -> None:
    path, inputs = built(tmp_path)
    text = path.read_text(encoding="utf-8")
    data = json.loads(text)
    n = len(data["order"])

    def damaged(change: Callable[[dict[str, Any]], object]) -> dict[str, Any]:
        copy: dict[str, Any] = json.loads(text)
        change(copy)
        return copy

    last = n - 1
    cases = [
        damaged(lambda d: d["pages"]["prerequisites"].__setitem__(0, [n])),  # not a page
        damaged(lambda d: d["pages"]["prerequisites"].__setitem__(0, [-1])),
        damaged(lambda d: d["pages"]["prerequisites"].__setitem__(0, ["x"])),
        damaged(lambda d: d["pages"]["prerequisites"].__setitem__(0, [0.5])),
        damaged(lambda d: d["pages"]["prerequisites"].__setitem__(0, [last])),  # not in order
        damaged(lambda d: d["pages"]["title"].pop()),  # a column too short
        damaged(lambda d: d["pages"]["tier"].__setitem__(0, "2")),
        damaged(lambda d: d["pages"].__setitem__("digests", d["pages"]["digests"][:-2])),
        damaged(lambda d: d["order"].__setitem__(1, d["order"][0])),  # a slug twice
        damaged(lambda d: d.__setitem__("format", 99)),
    ]
    for case in cases:
        path.write_text(json.dumps(case), encoding="utf-8")
        assert StoredGraph.read(path, inputs) is None
    for raw in ("", "[]", "{", text[: len(text) // 2]):
        path.write_text(raw, encoding="utf-8")
        assert StoredGraph.read(path, inputs) is None
