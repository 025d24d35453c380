"""The check stage: consistency of the curriculum graph. Plain lists of diagnostics."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .diagnostics import Diagnostic
from .graph import Graph
from .model import Curriculum
from .paths import Slug, SrcPath
from .yamlpos import YamlDoc


def check_graph(graph: Graph, curriculum: Curriculum, labs: set[str] | None,
                today: dt.date) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    for slug in sorted(graph.pages):
        page = graph.pages[slug]
        if graph.acyclic:
            diags.extend(_redundant(graph, slug))
        for ref in page.prerequisites:
            target = graph.pages.get(ref.slug)
            if target is not None and target.tier > page.tier and ref.slug != slug:
                diags.append(Diagnostic(
                    "W302", f"tier-{page.tier} page requires '{ref.slug}', a tier-{target.tier} "
                    "page", page.src_path, ref.line, ref.col))
        for ref in page.next:
            target = graph.pages.get(ref.slug)
            if target is not None and not graph.digraph.has_edge(slug, ref.slug):
                diags.append(Diagnostic(
                    "W303", f"'next' suggests '{ref.slug}', which does not list '{slug}' as a "
                    "prerequisite", page.src_path, ref.line, ref.col))
        if curriculum.tracks and page.track not in curriculum.tracks:
            p = page.pos("track")
            diags.append(Diagnostic(
                "W304", f"track '{page.track}' is not declared", page.src_path, p.line, p.col,
                hint="declared tracks: " + ", ".join(curriculum.tracks)))
        if labs is not None:
            for ref in page.labs:
                if ref.slug not in labs:
                    diags.append(Diagnostic("W305", f"unknown lab '{ref.slug}'", page.src_path,
                                            ref.line, ref.col))
        if len(graph.pages) > 1 and graph.digraph.degree(slug) == 0:
            diags.append(Diagnostic("I301", f"'{slug}' has no prerequisites and no dependents",
                                    page.src_path))
        if page.last_reviewed is not None:
            age = (today - page.last_reviewed).days
            if age > curriculum.review_max_age_days:
                p = page.pos("last_reviewed")
                diags.append(Diagnostic(
                    "I302", f"last reviewed {age} days ago (limit "
                    f"{curriculum.review_max_age_days})", page.src_path, p.line, p.col))
    return diags


def _redundant(graph: Graph, slug: Slug) -> list[Diagnostic]:
    """A prerequisite is redundant when another listed prerequisite already implies it.

    With ancestor bitsets: p is implied iff its bit is in the union of the other
    prerequisites' closures; p is never in its own closure (acyclic), so one union of all
    closures answers for every p in O(len(prerequisites)).
    """
    page = graph.pages[slug]
    direct = graph.prerequisites(slug)
    union = 0
    for p in direct:
        union |= graph.ancestor_bits[graph.rank[p]]
    diags = []
    for ref in page.prerequisites:
        if ref.slug not in graph.rank or ref.slug == slug:
            continue
        if union >> graph.rank[ref.slug] & 1:
            via = next(p for p in direct if graph.ancestor_bits[graph.rank[p]]
                       >> graph.rank[ref.slug] & 1)
            diags.append(Diagnostic(
                "W301", f"prerequisite '{ref.slug}' is already implied by '{via}'",
                page.src_path, ref.line, ref.col))
    return diags


def check_paths(doc: YamlDoc | None, graph: Graph) -> tuple[list[dict[str, Any]],
                                                            list[Diagnostic]]:
    """Curated learning paths from graph/paths.yml, checked for order against the DAG."""
    if doc is None:
        return [], []
    src = SrcPath("graph/paths.yml")
    diags: list[Diagnostic] = []
    value = doc.value
    paths: list[dict[str, Any]] = []
    entries = value.get("paths") if isinstance(value, dict) else None
    if not isinstance(entries, list):
        return [], [Diagnostic("E110", "expected 'paths:' with a list of paths", src)]
    for index, entry in enumerate(entries):
        pos = doc.pos("paths", index)
        if not isinstance(entry, dict) or not isinstance(entry.get("topics"), list) \
                or not isinstance(entry.get("id"), str):
            diags.append(Diagnostic("E110", "a path needs 'id', 'title' and 'topics'", src,
                                    pos.line, pos.col))
            continue
        topics: list[Slug] = []
        for t_index, name in enumerate(entry["topics"]):
            tpos = doc.pos("paths", index, "topics", t_index)
            if not isinstance(name, str) or name not in graph.pages:
                diags.append(Diagnostic("E306", f"path '{entry['id']}' names unknown topic "
                                        f"'{name}'", src, tpos.line, tpos.col))
                continue
            topic = Slug(name)
            if graph.acyclic:
                for earlier in topics:
                    if graph.descendant_bits[graph.rank[topic]] >> graph.rank[earlier] & 1:
                        diags.append(Diagnostic(
                            "W306", f"path '{entry['id']}' lists '{earlier}' before its "
                            f"prerequisite '{topic}'", src, tpos.line, tpos.col))
            topics.append(topic)
        paths.append({"id": entry["id"], "title": str(entry.get("title", entry["id"])),
                      "summary": str(entry.get("summary", "")), "topics": topics})
    return paths, diags
