"""The graph stage: pages -> a networkx DAG of prerequisite edges, with every derived
relation (dependents, ancestor closure in reading order, descendants) computed once.

Closures use Python ints as bitsets indexed by topological position: one pass in
topological order, and a set bit's index is its reading-order rank, so listing an
ancestor set in reading order is a bit scan, not a sort.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field

import networkx as nx

from .closure import closure_bits, members
from .diagnostics import Diagnostic, Related
from .model import Page, Ref
from .paths import Slug


@dataclass
class Graph:
    pages: dict[Slug, Page]
    digraph: nx.DiGraph  # edge prerequisite -> dependent, attrs: line, col
    order: list[Slug] = field(default_factory=list)  # reading order; empty if cyclic
    rank: dict[Slug, int] = field(default_factory=dict)
    ancestor_bits: list[int] = field(default_factory=list)
    descendant_bits: list[int] = field(default_factory=list)
    acyclic: bool = True

    def prerequisites(self, slug: Slug) -> list[Slug]:
        """Direct prerequisites that exist, in the order the page lists them."""
        seen: list[Slug] = []
        for ref in self.pages[slug].prerequisites:
            if ref.slug in self.pages and ref.slug != slug and ref.slug not in seen:
                seen.append(ref.slug)
        return seen

    def derived(self, slug: Slug) -> list[Slug]:
        """Pages that list this page as a prerequisite, in reading order."""
        return sorted(self.digraph.successors(slug), key=self._key)

    def next_topics(self, slug: Slug) -> list[Slug]:
        """Editorial suggestions shown: only targets that cite this page back."""
        out: list[Slug] = []
        for ref in self.pages[slug].next:
            if self.digraph.has_edge(slug, ref.slug) and ref.slug not in out:
                out.append(ref.slug)
        return out

    def ancestors(self, slug: Slug) -> list[Slug]:
        """Everything to read before this page, in a valid reading order."""
        return list(self._scan(self.ancestor_bits[self.rank[slug]]))

    def descendants(self, slug: Slug) -> list[Slug]:
        """Everything this page leads to, in reading order."""
        return list(self._scan(self.descendant_bits[self.rank[slug]]))

    def path_to(self, slug: Slug) -> list[Slug]:
        return [*self.ancestors(slug), slug]

    def _scan(self, bits: int) -> Iterator[Slug]:
        return (self.order[i] for i in members(bits))

    def _key(self, slug: Slug) -> tuple[int, str]:
        return (self.rank.get(slug, 0), slug)


def reading_key(page: Page) -> tuple[int, str]:
    # Among pages whose prerequisites are met, read the more foundational tier first.
    return (page.tier, page.slug)


def build_graph(pages: list[Page]) -> tuple[Graph, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    by_slug: dict[Slug, Page] = {}
    for page in sorted(pages, key=lambda p: p.src_path):
        first = by_slug.get(page.slug)
        if first is not None:
            diags.append(Diagnostic(
                "E204", f"slug '{page.slug}' is also the slug of {first.src_path}",
                page.src_path, related=(Related(first.src_path, 1, 1, "first page with it"),)))
            continue
        by_slug[page.slug] = page
    digraph = nx.DiGraph()
    digraph.add_nodes_from(sorted(by_slug))
    known = sorted(by_slug)
    for slug in known:
        page = by_slug[slug]
        listed: set[Slug] = set()
        for ref in page.prerequisites:
            problem = _check_ref(page, ref, by_slug, known, listed, "prerequisites")
            if problem:
                diags.append(problem)
                continue
            listed.add(ref.slug)
            digraph.add_edge(ref.slug, slug, line=ref.line, col=ref.col)
        for ref in page.next:
            if ref.slug not in by_slug:
                diags.append(_unknown(page, ref, known, "E304", "'next' entry"))
    graph = Graph(by_slug, digraph)
    cycles = _cycles(graph)
    diags.extend(cycles)
    if cycles:
        graph.acyclic = False
        return graph, diags
    _closures(graph)
    return graph, diags


def _check_ref(page: Page, ref: Ref, by_slug: dict[Slug, Page], known: list[Slug],
               listed: set[Slug], key: str) -> Diagnostic | None:
    if ref.slug == page.slug:
        return Diagnostic("E303", f"'{page.slug}' lists itself in {key}", page.src_path,
                          ref.line, ref.col)
    if ref.slug not in by_slug:
        return _unknown(page, ref, known, "E301", "unknown prerequisite")
    if ref.slug in listed:
        return Diagnostic("E305", f"prerequisite '{ref.slug}' is listed more than once",
                          page.src_path, ref.line, ref.col)
    return None


def _unknown(page: Page, ref: Ref, known: list[Slug], code: str, what: str) -> Diagnostic:
    close = difflib.get_close_matches(ref.slug, known, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else None
    message = f"{what} '{ref.slug}'" if code == "E301" else f"{what} '{ref.slug}' names no page"
    return Diagnostic(code, message, page.src_path, ref.line, ref.col, hint=hint)


def _cycles(graph: Graph) -> list[Diagnostic]:
    """One diagnostic per strongly connected component that holds a cycle."""
    g = graph.digraph
    diags = []
    components = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    for component in sorted(components):
        sub = g.subgraph(component)
        start = component[0]
        edges = nx.find_cycle(sub, source=start)
        # rotate so the cycle starts at its smallest slug: output independent of file order
        nodes = [u for u, _ in edges]
        first = nodes.index(min(nodes))
        nodes = nodes[first:] + nodes[:first]
        ring = [*nodes, nodes[0]]
        related = []
        for prereq, dependent in itertools.pairwise(ring):
            data = g.edges[prereq, dependent]
            related.append(Related(graph.pages[dependent].src_path, data["line"], data["col"],
                                   f"'{dependent}' requires '{prereq}'"))
        # report at the edge that closes the ring back to the smallest slug
        anchor = related[-1]
        chain = " → ".join(reversed(ring))
        more = f" ({len(component)} pages are in this cycle)" if len(component) > len(nodes) else ""
        diags.append(Diagnostic(
            "E302", f"prerequisites form a cycle: {chain}{more}", anchor.path, anchor.line,
            anchor.col, related=tuple(related)))
    return diags


def _closures(graph: Graph) -> None:
    g = graph.digraph
    pages = graph.pages
    order = list(nx.lexicographical_topological_sort(g, key=lambda s: reading_key(pages[s])))
    graph.order = order
    rank = graph.rank = {slug: i for i, slug in enumerate(order)}
    graph.ancestor_bits = closure_bits(
        [[rank[p] for p in g.predecessors(slug)] for slug in order], range(len(order)))
    graph.descendant_bits = closure_bits(
        [[rank[d] for d in g.successors(slug)] for slug in order],
        range(len(order) - 1, -1, -1))
