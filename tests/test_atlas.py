"""The atlas layout, its data file and page, and the local graph on topic pages."""

from __future__ import annotations

import json
import posixpath
import random
import time
import xml.etree.ElementTree as ET

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from olwsite.atlas import (
    ATLAS_DATA,
    ATLAS_PAGE,
    MAX_SIDE,
    atlas_outputs,
    href,
    layered_layout,
    local_graph_svg,
    page_url,
)
from olwsite.graph import Graph, build_graph
from olwsite.model import Page, Ref
from olwsite.paths import DestPath, Slug, SrcPath
from olwsite.render import make_environment
from olwsite.synthetic import plan
from olwsite.yamlpos import YamlDoc

from .conftest import REPO

SVG = "{http://www.w3.org/2000/svg}"
Dag = tuple[int, list[tuple[int, int]]]


def _page(slug: str, prereqs: list[str], track: str = "basics", title: str = "") -> Page:
    refs = tuple(Ref(Slug(p), 3 + i, 5) for i, p in enumerate(prereqs))
    return Page(slug=Slug(slug), src_path=SrcPath(f"content/{track}/{slug}.md"),
                title=title or slug.replace("-", " ").title(), summary="", track=track, tier=2,
                layer="1", role="core", reading_time=5, prerequisites=refs, next=(),
                last_reviewed=None, labs=(), tags=(), family=None, body="", body_first_line=5,
                digest="", front_digest="", front=YamlDoc({}, {}, {}))


def _graph(prereqs: dict[str, list[str]], **titles: str) -> Graph:
    graph, diags = build_graph([_page(s, p, title=titles.get(s.replace("-", "_"), ""))
                                for s, p in prereqs.items()])
    assert not diags
    return graph


@st.composite
def dags(draw: st.DrawFn) -> Dag:
    n = draw(st.integers(1, 40))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)),
                          max_size=120))
    return n, sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})


@given(dags())
@settings(max_examples=150, deadline=None)
def test_every_edge_points_right_and_x_is_the_longest_path(dag: Dag) -> None:
    n, edges = dag
    lay = layered_layout(n, edges)
    assert all(lay.x[u] < lay.x[v] for u, v in edges)
    preds: dict[int, list[int]] = {v: [] for v in range(n)}
    for u, v in edges:
        preds[v].append(u)
    for v in range(n):
        assert lay.x[v] == max((lay.x[u] + 1 for u in preds[v]), default=0)
    assert lay.layers == max(lay.x) + 1
    # each layer's positions are distinct steps of 1, centred on 0
    for layer in range(lay.layers):
        ys = sorted(lay.y[v] for v in range(n) if lay.x[v] == layer)
        assert ys == [i - (len(ys) - 1) / 2 for i in range(len(ys))]


@given(dags())
@settings(max_examples=50, deadline=None)
def test_layout_is_deterministic(dag: Dag) -> None:
    n, edges = dag
    assert layered_layout(n, edges) == layered_layout(n, list(reversed(edges)))


def test_a_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        layered_layout(3, [(0, 1), (1, 2), (2, 1)])


def _crossings(x: list[int], y: list[float], edges: list[tuple[int, int]]) -> int:
    """Crossings among edges between adjacent layers."""
    by_layer: dict[int, list[tuple[float, float]]] = {}
    for u, v in edges:
        if x[v] == x[u] + 1:
            by_layer.setdefault(x[u], []).append((y[u], y[v]))
    count = 0
    for pairs in by_layer.values():
        for i, (a1, b1) in enumerate(pairs):
            count += sum(1 for a2, b2 in pairs[i + 1:] if (a1 - a2) * (b1 - b2) < 0)
    return count


def test_barycentre_sweeps_remove_crossings() -> None:
    rng = random.Random(7)
    prereqs, _ = plan(600, 4.0, rng)
    edges = [(p, i) for i, ps in enumerate(prereqs) for p in ps]
    # a shuffled starting order: the sweeps, not the input order, must untangle it
    order = list(range(600))
    rng.shuffle(order)
    rank = {v: i for i, v in enumerate(order)}
    shuffled = [(rank[u], rank[v]) for u, v in edges]
    before = layered_layout(600, shuffled, sweeps=0)
    after = layered_layout(600, shuffled)
    assert before.x == after.x
    assert _crossings(after.x, after.y, shuffled) < 0.6 * _crossings(before.x, before.y,
                                                                       shuffled)


def test_ten_thousand_topics_lay_out_quickly(capsys: pytest.CaptureFixture[str]) -> None:
    prereqs, _ = plan(10_000, 7.3, random.Random(0))
    edges = [(p, i) for i, ps in enumerate(prereqs) for p in ps]
    started = time.perf_counter()
    lay = layered_layout(10_000, edges)
    seconds = time.perf_counter() - started
    with capsys.disabled():
        print(f"\natlas layout: 10,000 nodes, {len(edges):,} edges, {lay.layers} layers "
              f"in {seconds:.2f} s")
    assert all(lay.x[u] < lay.x[v] for u, v in edges)
    assert seconds < 20  # a generous bound: catches a quadratic slip, not a slow machine


@pytest.mark.parametrize(("dest", "url"), [
    ("index.md", ""), ("atlas/index.md", "atlas/"), ("foundations/rmsnorm.md",
                                                     "foundations/rmsnorm/"),
    ("foundations/index.md", "foundations/"),
])
def test_page_url(dest: str, url: str) -> None:
    assert page_url(DestPath(dest)) == url


@pytest.mark.parametrize(("src", "dest", "link"), [
    ("foundations/rmsnorm.md", "foundations/swiglu.md", "../swiglu/"),
    ("foundations/rmsnorm.md", "models/llama-2.md", "../../models/llama-2/"),
    ("atlas/index.md", "index.md", "../"),
    ("index.md", "atlas/index.md", "atlas/"),
    ("foundations/rmsnorm.md", "foundations/rmsnorm.md", "./"),
])
def test_href_between_pages(src: str, dest: str, link: str) -> None:
    assert href(DestPath(src), DestPath(dest)) == link


pages = st.lists(st.sampled_from(["a", "b", "index"]), min_size=1, max_size=4).map(
    lambda parts: DestPath("/".join(parts) + ".md"))


@given(src=pages, dest=pages)
def test_href_agrees_with_posixpath_relpath(src: DestPath, dest: DestPath) -> None:
    expected = posixpath.relpath(page_url(dest) or ".", page_url(src) or ".")
    assert href(src, dest) == ("./" if expected == "." else expected + "/")


@pytest.fixture
def env() -> jinja2.Environment:
    return make_environment(jinja2.FileSystemLoader(REPO / "templates"))


def test_atlas_outputs(env: jinja2.Environment) -> None:
    graph = _graph({"a": [], "b": ["a"], "c": ["a", "b"], "d": []})
    outputs = atlas_outputs(graph, lambda s: DestPath(f"basics/{s}.md"), env=env,
                            tracks={"basics": {"title": "Basics"}})
    assert set(outputs) == {ATLAS_DATA, ATLAS_PAGE}
    data = json.loads(outputs[ATLAS_DATA])
    slugs = [n["slug"] for n in data["nodes"]]
    assert sorted(slugs) == ["a", "b", "c", "d"]
    edges = {(slugs[u], slugs[v]) for u, v in data["edges"]}
    assert edges == {("a", "b"), ("a", "c"), ("b", "c")}
    node = data["nodes"][slugs.index("c")]
    assert node == {"slug": "c", "title": "C", "track": "basics", "tier": 2, "x": 2, "y": 0.0,
                    "url": "basics/c/"}
    assert data["tracks"][0] == {"id": "basics", "title": "Basics", "colour": "#0072B2"}
    page = outputs[ATLAS_PAGE]
    assert '<script src="../assets/atlas.js"></script>' in page
    assert 'data-graph="graph.json" data-root="../"' in page
    assert "4 topics and 3 prerequisite edges in 3 layers" in page
    # deterministic: the same graph gives the same bytes
    assert atlas_outputs(graph, lambda s: DestPath(f"basics/{s}.md"), env=env,
                         tracks={"basics": {"title": "Basics"}}) == outputs


def _svg(figure: str) -> ET.Element:
    assert "\n" not in figure  # one line: Markdown cannot split it
    head = '<figure class="olw-local-graph" data-search-exclude>'
    assert figure.startswith(head + "<svg ")
    return ET.fromstring(figure.removeprefix(head)
                         .removesuffix("</figure>"))


def test_local_graph_links_prerequisites_and_derived_topics() -> None:
    graph = _graph({"a": [], "b": [], "mid": ["a", "b"], "d": ["mid"]},
                   a="Attention & <friends>")
    svg = _svg(local_graph_svg(graph, Slug("mid"), lambda s: f"../{s}/",
                               tracks=["basics"]))
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert links == ["../a/", "../b/", "../d/"]  # the page itself is not a link
    titles = [t.text for t in svg.iter(f"{SVG}title")]
    assert titles == ["Attention & <friends>", "B", "D", "Mid"]
    # prerequisites left of the page, derived topics right of it
    xs = {g.find(f"{SVG}title").text: float(g.find(f"{SVG}rect").get("x"))  # type: ignore[union-attr]
          for g in svg.iter(f"{SVG}g") if g.get("class", "").startswith("olw-lg-node")}
    assert xs["B"] < xs["Mid"] < xs["D"]
    assert len(list(svg.iter(f"{SVG}path"))) == 3


def test_local_graph_cuts_a_long_side_short() -> None:
    many = {f"p{i}": [] for i in range(MAX_SIDE + 4)}
    graph = _graph({**many, "mid": list(many)})
    svg = _svg(local_graph_svg(graph, Slug("mid"), lambda s: f"../{s}/",
                               more_link="../../before/mid/"))
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert len(links) == MAX_SIDE + 1
    assert links[-1] == "../../before/mid/"
    more = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "olw-lg-more"]
    assert more == ["+ 4 more"]


def test_local_graph_of_a_lone_page() -> None:
    graph = _graph({"solo": []})
    svg = _svg(local_graph_svg(graph, Slug("solo"), lambda s: s))
    assert not list(svg.iter(f"{SVG}a"))
    assert float(svg.get("height", "0")) > 0
