"""Render keys: for each per-topic output, a digest of everything it is rendered from.

An output whose key equals the one recorded by the last build (and whose file is still
there) is not rendered again. Keys are built bottom-up, so all of them together cost
O(pages + edges), not the sum of closure sizes:

- a page's *view* digest covers what other pages show of it (title, tier, minutes, …);
- its *ancestor* digest hashes its view with its prerequisites' ancestor digests (a Merkle
  DAG), so it changes exactly when something in its "before you start" list changes,
  including that list's order, which depends only on the ancestors themselves;
- its *descendant* digest does the same downwards for the "leads to" list. That list's
  order follows the reading order of the whole curriculum, so before-page keys also hold
  the order's digest: a structural edit (an edge, a tier, a page added or removed)
  re-renders every before page, while an edit to a body, a title or a reading time
  re-renders only the pages that show it;
- its *ancestry* digest does the same as the ancestor digest with only each ancestor's
  slug and reading time: a topic page shows how many pages come before it and how long
  they take, so a title edit leaves the topic pages below it alone.

The edit path (edit.py) recomputes these for the pages an edit reaches, from the digests
the last build stored (stored_graph.py), with the functions below.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import Page, Ref
from .paths import Slug
from .state import code_digest
from .verify import PageVerdict

if TYPE_CHECKING:  # networkx costs 0.2 s to import; a body edit never needs it
    from .graph import Graph


def _hash(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part)
        h.update(b"\x1f")
    return h.digest()


def _text(*values: object) -> bytes:
    return "\x1e".join(map(str, values)).encode("utf-8", "surrogatepass")


def site_digest(*parts: object) -> bytes:
    """What every page is rendered with: code, templates and site-wide settings."""
    return _hash(code_digest(), _text(*(json.dumps(p, sort_keys=True, default=str)
                                        for p in parts)))


def view_digest(page: Page) -> bytes:
    """Everything another page may show of this one (see render._page_view)."""
    return _hash(_text(page.slug, page.src_path, page.title, page.summary, page.tier,
                       page.layer, page.role, page.reading_time, page.track))


def shape_digest(page: Page) -> str:
    """Everything in a page's model but its title, summary and body, with the positions
    its diagnostics are reported at: where it is unchanged, an edit changed neither the
    graph nor what its checks find, only what others show of the page (edit.py)."""
    return _hash(_text(page.slug, page.src_path, page.track, page.tier, page.layer,
                       page.role, page.reading_time, _refs(page.prerequisites),
                       _refs(page.next), page.last_reviewed, _refs(page.labs),
                       "\x1f".join(page.tags), _family(page), *page.pos("track"),
                       *page.pos("last_reviewed"))).hex()


def _refs(refs: Iterable[Ref]) -> str:
    return "\x1f".join([f"{r.slug}\x1d{r.line}\x1d{r.col}" for r in refs])


def _family(page: Page) -> str:
    """The page's family, its facts in name order: a page read from the page memo has
    its mappings' keys sorted, one parsed afresh has them as written."""
    family = page.family
    if family is None:
        return ""
    return repr(dataclasses.replace(family, facts=tuple(sorted(family.facts, key=repr))))


def family_digest(graph: Graph) -> bytes:
    """The family table, which a page embeds with {{ family_table }}."""
    rows = [(p.src_path, p.title, _family(p)) for p in graph.pages.values() if p.family]
    return _hash(_text(*sorted(rows)))


def merkle(own: bytes, parents: Iterable[bytes]) -> bytes:
    """A page's ancestor (or descendant, or ancestry) digest from its own part and those of
    its prerequisites (or dependents)."""
    return _hash(own, *sorted(parents))


def ancestry_part(page: Page) -> bytes:
    return _text(page.slug, page.reading_time)


def context_key(site: bytes, front_digest: str, view: bytes, ancestry: bytes,
                prerequisites: Iterable[bytes], derived: Iterable[bytes],
                next_topics: Iterable[bytes]) -> bytes:
    """A topic page's context (render.topic_context), from the views of the pages it
    lists and its ancestry digest."""
    return _hash(site, b"topic", front_digest.encode(), view, ancestry, *prerequisites,
                 b"derived", *derived, b"next", *next_topics)


def before_key(site: bytes, ancestors: bytes, descendants: bytes, order: bytes) -> str:
    return _hash(site, b"before", ancestors, descendants, order).hex()


def order_digest(order: Iterable[Slug]) -> bytes:
    return _hash(_text(*order))


def atlas_key(site: bytes, order: bytes, ancestors: Iterable[bytes]) -> str:
    """The atlas page and its data: the ancestor digests of all pages, in reading order,
    cover every view and every edge."""
    return _hash(site, b"atlas", order, *ancestors).hex()


@dataclass
class RenderKeys:
    topic: dict[Slug, str]
    before: dict[Slug, str]
    atlas: str = ""  # the atlas page and its data: every page's view and every edge
    # a topic page's context: what it is rendered from apart from its body and verdict
    context: dict[Slug, str] = field(default_factory=dict)
    view: dict[Slug, str] = field(default_factory=dict)  # view_digest of each page
    # what the edit path needs to recompute keys (stored_graph.py)
    site: bytes = b""
    ancestors: dict[Slug, bytes] = field(default_factory=dict)
    descendants: dict[Slug, bytes] = field(default_factory=dict)
    ancestry: dict[Slug, bytes] = field(default_factory=dict)
    family: bytes = b""  # family_digest


def topic_key(context: bytes, digest: str, verdict: PageVerdict | None,
              verdict_key: str | None, family: bytes) -> str:
    """A topic page's key: its context's key, its text, its verdict (by its verification
    cache key when there is one, which is cheaper than hashing it) and, when its body
    embeds the family table, that table's digest."""
    named = verdict_key.encode() if verdict_key else _text(repr(verdict)) if verdict else b""
    return _hash(context, digest.encode(), named, family).hex()


def render_keys(graph: Graph, verdicts: Mapping[Slug, PageVerdict], site: bytes,
                uses_family_table: Iterable[Slug],
                verdict_keys: Mapping[Slug, str] | None = None) -> RenderKeys:
    """Keys of every topic page and before page of an acyclic graph. ``site`` digests
    what all pages share: olwsite's code, the templates, tracks, labs and paths.
    ``verdict_keys`` may name a verdict by its verification cache key, which is cheaper
    than hashing the verdict."""
    verdict_keys = verdict_keys or {}
    g = graph.digraph
    view = {slug: view_digest(page) for slug, page in graph.pages.items()}
    ancestors: dict[Slug, bytes] = {}
    ancestry: dict[Slug, bytes] = {}
    for slug in graph.order:
        preds = list(g.predecessors(slug))
        ancestors[slug] = merkle(view[slug], (ancestors[p] for p in preds))
        ancestry[slug] = merkle(ancestry_part(graph.pages[slug]), (ancestry[p] for p in preds))
    descendants: dict[Slug, bytes] = {}
    for slug in reversed(graph.order):
        descendants[slug] = merkle(view[slug], (descendants[s] for s in g.successors(slug)))
    order = order_digest(graph.order)
    family = family_digest(graph)
    with_table = set(uses_family_table)
    topic: dict[Slug, str] = {}
    context: dict[Slug, bytes] = {}
    before: dict[Slug, str] = {}
    for slug, page in graph.pages.items():
        context[slug] = context_key(
            site, page.front_digest, view[slug], ancestry[slug],
            (view[s] for s in graph.prerequisites(slug)),
            (view[s] for s in graph.derived(slug)),
            (view[s] for s in graph.next_topics(slug)))
        topic[slug] = topic_key(context[slug], page.digest, verdicts.get(slug),
                                verdict_keys.get(slug),
                                family if slug in with_table else b"")
        before[slug] = before_key(site, ancestors[slug], descendants[slug], order)
    atlas = atlas_key(site, order, (ancestors[s] for s in graph.order))
    return RenderKeys(topic, before, atlas, {s: k.hex() for s, k in context.items()},
                      {s: v.hex() for s, v in view.items()}, site, ancestors, descendants,
                      ancestry, family)


def verdict_key(entry: object) -> str | None:
    """A verdict's name from its verification cache entry: it is fixed by the entry's key
    (and, for did-you-mean hints, the list of fact names). None for no cacheable verdict."""
    if isinstance(entry, dict) and isinstance(entry.get("digest"), str):
        return f"{entry['digest']}/{entry.get('fact_names')}"
    return None
