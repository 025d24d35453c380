"""The curriculum atlas: a layered layout of the whole prerequisite graph, computed once
at build time, drawn in the browser by assets/atlas.js; and the small local graph on each
topic page, as inline SVG.

Layout (Sugiyama-style, without dummy nodes so it stays linear): x is a node's
longest-path depth from a source, so every edge points right; y orders each layer, starting
from reading order and improved by barycentre sweeps, down then up, which remove most
crossings at O(E + V log V) a sweep.

Links written into raw HTML and JSON are final URLs, which MkDocs does not rewrite: they
assume MkDocs' default ``use_directory_urls: true`` (page ``a/b.md`` is served at ``a/b/``).
"""

from __future__ import annotations

import html
import json
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2

from .paths import DestPath, Slug

if TYPE_CHECKING:  # networkx costs 0.2 s to import; a body edit never needs it
    from .graph import Graph
    from .model import Neighbourhood

ATLAS_PAGE = DestPath("atlas/index.md")
ATLAS_DATA = DestPath("atlas/graph.json")
SWEEPS = 2  # a third down/up pair changes little and costs another pass

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
TRACK_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31",
                 "#999999")
OTHER = TRACK_COLOURS[-1]
TIER_COLOURS = {1: "#009E73", 2: "#0072B2", 3: "#D55E00"}
TIER_LABELS = {1: "Foundational", 2: "Core", 3: "Advanced"}


@dataclass(frozen=True)
class Layout:
    x: list[int]  # layer: longest-path depth
    y: list[float]  # position within the layer, centred on 0
    layers: int


def layered_layout(count: int, edges: Sequence[tuple[int, int]],
                   sweeps: int = SWEEPS) -> Layout:
    """Layered layout of a DAG with nodes ``0..count-1`` given in a preferred order (ties
    keep it), and edges (prerequisite, dependent). Deterministic."""
    preds: list[list[int]] = [[] for _ in range(count)]
    succs: list[list[int]] = [[] for _ in range(count)]
    for u, v in edges:
        preds[v].append(u)
        succs[u].append(v)
    # Kahn's algorithm; depth is the longest path from any source
    depth = [0] * count
    waiting = [len(p) for p in preds]
    ready = [v for v in range(count) if not waiting[v]]
    seen = 0
    while ready:
        u = ready.pop()
        seen += 1
        du = depth[u] + 1
        for v in succs[u]:
            depth[v] = max(depth[v], du)
            waiting[v] -= 1
            if not waiting[v]:
                ready.append(v)
    if seen != count:
        raise ValueError("the graph has a cycle")
    layers = max(depth, default=-1) + 1
    members: list[list[int]] = [[] for _ in range(layers)]
    for v in range(count):  # ascending: reading order is the starting order
        members[depth[v]].append(v)
    y = [0.0] * count
    for layer in members:
        _place(layer, y)
    for _ in range(sweeps):
        for layer in members[1:]:
            _reorder(layer, preds, y)
        for layer in reversed(members[:-1]):
            _reorder(layer, succs, y)
    return Layout(depth, y, layers)


def _place(layer: list[int], y: list[float]) -> None:
    middle = (len(layer) - 1) / 2
    for i, v in enumerate(layer):
        y[v] = i - middle


def _reorder(layer: list[int], neighbours: list[list[int]], y: list[float]) -> None:
    """Sort a layer by the mean position of each node's neighbours on the other side; a
    node with none keeps its place."""
    keys = {}
    for v in layer:
        near = neighbours[v]
        keys[v] = (sum(y[u] for u in near) / len(near) if near else y[v], y[v], v)
    layer.sort(key=keys.__getitem__)
    _place(layer, y)


def page_url(dest: DestPath) -> str:
    """The URL of a generated page relative to the site root: a/b.md -> a/b/."""
    stem = dest.removesuffix(".md")
    if stem == "index":
        return ""
    return stem.removesuffix("/index") + "/"


def href(from_dest: DestPath, to_dest: DestPath) -> str:
    """A link for raw HTML on page ``from_dest`` to page ``to_dest``. (posixpath.relpath
    gives the same, but resolves both paths against the working folder: a build makes
    hundreds of thousands of these links.)"""
    base = page_url(from_dest).split("/")[:-1]
    target = page_url(to_dest).split("/")[:-1]
    common = 0
    while common < len(base) and common < len(target) and base[common] == target[common]:
        common += 1
    rel = "/".join([".."] * (len(base) - common) + target[common:])
    return rel + "/" if rel else "./"


def track_colours(tracks: Sequence[str]) -> dict[str, str]:
    """A colour per declared track, in their order; any other track is grey (OTHER)."""
    return {t: TRACK_COLOURS[i] for i, t in enumerate(tracks[:len(TRACK_COLOURS) - 1])}


def atlas_data(graph: Graph, link_of: Callable[[Slug], DestPath],
               tracks: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, object]:
    """What atlas.js draws: nodes with positions and URLs, edges as index pairs."""
    order = graph.order or sorted(graph.pages)
    index = {s: i for i, s in enumerate(order)}
    edges = sorted((index[u], index[v]) for u, v in graph.digraph.edges)
    lay = layered_layout(len(order), edges)
    declared = tracks or {}
    colours = track_colours(list(declared))
    for track in sorted({p.track for p in graph.pages.values()} - set(colours)):
        colours[track] = OTHER
    nodes = []
    for i, slug in enumerate(order):
        page = graph.pages[slug]
        nodes.append({"slug": slug, "title": page.title, "track": page.track,
                      "tier": page.tier, "x": lay.x[i], "y": lay.y[i],
                      "url": page_url(link_of(slug))})
    return {
        "layers": lay.layers,
        "nodes": nodes,
        "edges": [list(e) for e in edges],
        "tracks": [{"id": t, "title": declared.get(t, {}).get("title", t.title()),
                    "colour": c} for t, c in colours.items()],
        "tiers": [{"id": t, "title": f"Tier {t} · {label}", "colour": TIER_COLOURS[t]}
                  for t, label in TIER_LABELS.items()],
    }


def atlas_outputs(graph: Graph, link_of: Callable[[Slug], DestPath], *,
                  env: jinja2.Environment,
                  tracks: Mapping[str, Mapping[str, str]] | None = None) -> dict[DestPath, str]:
    """The atlas page and its data file; nothing if the graph has a cycle (no layers)."""
    if not graph.acyclic:
        return {}
    data = atlas_data(graph, link_of, tracks)
    page = env.get_template("atlas.md.j2").render(
        pages=len(graph.pages), edges=graph.digraph.number_of_edges(),
        layers=data["layers"], data=posixpath.basename(ATLAS_DATA),
        root=href(ATLAS_PAGE, DestPath("index.md")),
        script=posixpath.relpath("assets/atlas.js", posixpath.dirname(ATLAS_PAGE)),
        style=posixpath.relpath("assets/atlas.css", posixpath.dirname(ATLAS_PAGE)))
    return {ATLAS_DATA: json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n",
            ATLAS_PAGE: page}


# -- the local graph on a topic page ------------------------------------------------------

BOX_W, BOX_H, PITCH, GAP = 190, 30, 38, 40  # GAP: half the space between columns
MAX_SIDE = 8  # more than this on one side collapses into "+ N more"
MAX_CHARS = 27


def local_graph_svg(graph: Neighbourhood, slug: Slug, link: Callable[[Slug], str],
                    more_link: str = "", tracks: Sequence[str] = ()) -> str:
    """Prerequisites on the left, the page in the middle, derived topics on the right, each
    a link (``link(slug)`` gives the href; ``more_link`` where a side is cut short). One
    line of SVG in a figure, which Markdown passes through as raw HTML."""
    colour = track_colours(tracks)
    left = graph.prerequisites(slug)
    right = graph.derived(slug)
    rows = max(len(left[:MAX_SIDE + 1]), len(right[:MAX_SIDE + 1]), 1)
    rows = min(rows, MAX_SIDE + 1)
    height = rows * PITCH + 8
    width = 3 * BOX_W + 4 * GAP
    mid_x = BOX_W + 2 * GAP
    mid_y = height / 2
    parts: list[str] = []
    edges: list[str] = []

    def column(items: list[Slug], x: float, side: str) -> None:
        shown = items if len(items) <= MAX_SIDE + 1 else items[:MAX_SIDE]
        top = mid_y - len(shown) * PITCH / 2 + (PITCH - BOX_H) / 2
        for i, s in enumerate(shown):
            y = top + i * PITCH
            parts.append(_box(graph, s, x, y, link(s), colour, current=False))
            edges.append(_edge(x + BOX_W, y + BOX_H / 2, mid_x, mid_y) if side == "left"
                         else _edge(mid_x + BOX_W, mid_y, x, y + BOX_H / 2))
        hidden = len(items) - len(shown)
        if hidden:
            y = top + len(shown) * PITCH
            label = html.escape(f"+ {hidden} more")
            target = html.escape(more_link or link(items[len(shown)]), quote=True)
            parts.append(f'<a href="{target}"><text class="olw-lg-more" x="{x + BOX_W / 2:g}" '
                         f'y="{y + BOX_H / 2 + 4:g}" text-anchor="middle">{label}</text></a>')

    column(left, 0, "left")
    column(right, mid_x + BOX_W + 2 * GAP, "right")
    parts.append(_box(graph, slug, mid_x, mid_y - BOX_H / 2, "", colour, current=True))
    title = html.escape(f"Prerequisites and derived topics of {graph.pages[slug].title}",
                        quote=True)
    # the lists beside the figure say the same: keep its labels out of the search index
    return (f'<figure class="olw-local-graph" data-search-exclude>'
            f'<svg viewBox="0 0 {width} {height:g}" width="{width}" height="{height:g}" '
            f'role="group" aria-label="{title}" xmlns="http://www.w3.org/2000/svg">'
            f'<g class="olw-lg-edges">{"".join(edges)}</g>{"".join(parts)}</svg></figure>')


def _box(graph: Neighbourhood, slug: Slug, x: float, y: float, target: str,
         colours: Mapping[str, str], current: bool) -> str:
    page = graph.pages[slug]
    room = MAX_CHARS - 3 if current else MAX_CHARS  # the current page's title is bold
    text = page.title if len(page.title) <= room else page.title[:room - 1].rstrip() + "…"
    stroke = colours.get(page.track, OTHER)
    kind = "olw-lg-node olw-lg-current" if current else "olw-lg-node"
    style = f' style="fill:{stroke}"' if current else ""
    box = (f'<g class="{kind}"><title>{html.escape(page.title)}</title>'
           f'<rect x="{x:g}" y="{y:g}" width="{BOX_W}" height="{BOX_H}" rx="6" '
           f'stroke="{stroke}"{style}/>'
           f'<text x="{x + BOX_W / 2:g}" y="{y + BOX_H / 2 + 4.5:g}" '
           f'text-anchor="middle">{html.escape(text)}</text></g>')
    if not target:
        return box
    return f'<a href="{html.escape(target, quote=True)}">{box}</a>'


def _edge(x1: float, y1: float, x2: float, y2: float) -> str:
    bend = (x2 - x1) / 2
    return (f'<path d="M{x1:g} {y1:g}C{x1 + bend:g} {y1:g} {x2 - bend:g} {y2:g} '
            f'{x2:g} {y2:g}"/>')
