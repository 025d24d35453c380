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
  re-renders only the pages that show it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import Page
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


def family_digest(graph: Graph) -> bytes:
    """The family table, which a page embeds with {{ family_table }}."""
    rows = [(p.src_path, p.title, repr(p.family)) for p in graph.pages.values() if p.family]
    return _hash(_text(*sorted(rows)))


@dataclass
class RenderKeys:
    topic: dict[Slug, str]
    before: dict[Slug, str]
    atlas: str = ""  # the atlas page and its data: every page's view and every edge
    # a topic page's context: what it is rendered from apart from its body and verdict
    context: dict[Slug, str] = field(default_factory=dict)
    view: dict[Slug, str] = field(default_factory=dict)  # view_digest of each page


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
    for slug in graph.order:
        ancestors[slug] = _hash(view[slug], *sorted(ancestors[p] for p in g.predecessors(slug)))
    descendants: dict[Slug, bytes] = {}
    for slug in reversed(graph.order):
        descendants[slug] = _hash(view[slug],
                                  *sorted(descendants[s] for s in g.successors(slug)))
    order = _hash(_text(*graph.order))
    family = family_digest(graph)
    with_table = set(uses_family_table)
    topic: dict[Slug, str] = {}
    context: dict[Slug, bytes] = {}
    before: dict[Slug, str] = {}
    for slug, page in graph.pages.items():
        context[slug] = _hash(
            site, b"topic", page.front_digest.encode(), view[slug], ancestors[slug],
            *(view[s] for s in graph.prerequisites(slug)), b"derived",
            *(view[s] for s in graph.derived(slug)), b"next",
            *(view[s] for s in graph.next_topics(slug)))
        topic[slug] = topic_key(context[slug], page.digest, verdicts.get(slug),
                                verdict_keys.get(slug),
                                family if slug in with_table else b"")
        before[slug] = _hash(site, b"before", ancestors[slug], descendants[slug], order).hex()
    # the ancestor digests of all pages cover every view and every edge
    atlas = _hash(site, b"atlas", order, *(ancestors[s] for s in graph.order)).hex()
    return RenderKeys(topic, before, atlas, {s: k.hex() for s, k in context.items()},
                      {s: v.hex() for s, v in view.items()})


def verdict_key(entry: object) -> str | None:
    """A verdict's name from its verification cache entry: it is fixed by the entry's key
    (and, for did-you-mean hints, the list of fact names). None for no cacheable verdict."""
    if isinstance(entry, dict) and isinstance(entry.get("digest"), str):
        return f"{entry['digest']}/{entry.get('fact_names')}"
    return None
