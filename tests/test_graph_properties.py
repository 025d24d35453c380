"""Properties of the graph stage, over random curricula (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from olwsite.checks import check_graph
from olwsite.graph import build_graph
from olwsite.model import Curriculum, Page, Ref
from olwsite.paths import Slug, SrcPath
from olwsite.yamlpos import YamlDoc


def _page(slug: str, prereqs: list[str], tier: int = 2) -> Page:
    refs = tuple(Ref(Slug(p), 3 + i, 5) for i, p in enumerate(prereqs))
    return Page(slug=Slug(slug), src_path=SrcPath(f"content/t/{slug}.md"), title=slug.upper(),
                summary="", track="t", tier=tier, layer="1", role="core", reading_time=5,
                prerequisites=refs, next=(), last_reviewed=None, labs=(), tags=(),
                family=None, body="", body_first_line=5, digest="", front_digest="",
                front=YamlDoc({}, {}, {}))


@st.composite
def dags(draw: st.DrawFn) -> tuple[int, list[tuple[int, int]]]:
    n = draw(st.integers(1, 30))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=80))
    # orient every edge from lower to higher index: always acyclic
    return n, sorted({(min(a, b), max(a, b)) for a, b in edges if a != b})


def _pages(n: int, edges: list[tuple[int, int]]) -> list[Page]:
    prereqs: dict[int, list[str]] = {i: [] for i in range(n)}
    for a, b in edges:
        prereqs[b].append(f"p{a}")
    return [_page(f"p{i}", prereqs[i]) for i in range(n)]


@settings(max_examples=150, deadline=None)
@given(dags())
def test_a_random_dag_has_no_errors(dag: tuple[int, list[tuple[int, int]]]) -> None:
    graph, diags = build_graph(_pages(*dag))
    diags += check_graph(graph, Curriculum(), None, dt.date(2026, 1, 1))
    assert not [d for d in diags if d.code.startswith("E")]
    assert graph.acyclic


@settings(max_examples=150, deadline=None)
@given(dags())
def test_closures_match_networkx(dag: tuple[int, list[tuple[int, int]]]) -> None:
    graph, _ = build_graph(_pages(*dag))
    g = graph.digraph
    for slug in graph.pages:
        assert set(graph.ancestors(slug)) == nx.ancestors(g, slug)
        assert set(graph.descendants(slug)) == nx.descendants(g, slug)
        order = graph.path_to(slug)
        position = {s: i for i, s in enumerate(order)}
        for a, b in g.subgraph(order).edges:  # every prerequisite comes first
            assert position[a] < position[b]


@settings(max_examples=150, deadline=None)
@given(dags())
def test_redundant_warnings_are_exactly_the_non_reduced_edges(
        dag: tuple[int, list[tuple[int, int]]]) -> None:
    graph, _ = build_graph(_pages(*dag))
    diags = check_graph(graph, Curriculum(), None, dt.date(2026, 1, 1))
    flagged = {(d.message.split("'")[1], d.path.split("/")[-1][:-3])
               for d in diags if d.code == "W301"}
    reduced = nx.transitive_reduction(graph.digraph)
    expected = set(graph.digraph.edges) - set(reduced.edges)
    assert flagged == expected


@settings(max_examples=150, deadline=None)
@given(dags(), st.data())
def test_every_reported_cycle_is_a_real_cycle(dag: tuple[int, list[tuple[int, int]]],
                                              data: st.DataObject) -> None:
    n, edges = dag
    back = data.draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                              max_size=5))
    all_edges = set(edges) | {(b, a) for a, b in back if a != b}
    graph, diags = build_graph(_pages(n, sorted(all_edges)))
    cycles = [d for d in diags if d.code == "E302"]
    assert bool(cycles) == (not nx.is_directed_acyclic_graph(graph.digraph))
    for diag in cycles:
        ring = diag.message.split(": ", 1)[1].split(" (")[0].split(" → ")
        assert ring[0] == ring[-1]
        for dependent, prereq in itertools.pairwise(ring):
            assert graph.digraph.has_edge(prereq, dependent)  # 'dependent requires prereq'
        for related in diag.related:
            page = graph.pages[Slug(related.path.split("/")[-1][:-3])]
            assert any(r.line == related.line for r in page.prerequisites)


@settings(max_examples=80, deadline=None)
@given(dags(), st.randoms(use_true_random=False))
def test_output_does_not_depend_on_file_order(dag: tuple[int, list[tuple[int, int]]],
                                              rnd: random.Random) -> None:
    pages = _pages(*dag)
    shuffled = pages[:]
    rnd.shuffle(shuffled)
    g1, d1 = build_graph(pages)
    g2, d2 = build_graph(shuffled)
    assert g1.order == g2.order
    assert sorted(d.sort_key() for d in d1) == sorted(d.sort_key() for d in d2)
    for slug in g1.pages:
        assert g1.ancestors(slug) == g2.ancestors(slug)
        assert g1.derived(slug) == g2.derived(slug)
