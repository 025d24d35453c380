"""The graph as the last full build saw it, for an edit to what other pages show of a
page (its title or summary) that leaves the graph as it was (edit.py).

Such an edit changes the pages that list the edited one: its neighbours' topic pages
(their lists and local graphs), the "before you start" pages of its ancestors and
descendants, its track's index, the labs and curated paths it is in, and the atlas. To
render those without the model, networkx or the other pages' text, the full build stores
every page's view (what others show of it), its prerequisites, its "next" topics, its
labs and its key digests (keys.py), and the reading order: about 400 bytes a page.

JSON under .olwsite-cache/, never pickle; it belongs to exactly one manifest (``inputs``)
and anything that does not decode is ignored, which only costs a full build.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from .closure import closure_bits, members
from .paths import Slug, SrcPath
from .write import replace_file

if TYPE_CHECKING:
    from .graph import Graph
    from .keys import RenderKeys

FORMAT = 1


@dataclass(slots=True)
class StoredPage:
    """A page as others show it (model.Shown) and its digests: view, ancestors,
    descendants and ancestry (keys.py)."""

    slug: Slug
    src_path: SrcPath
    title: str
    summary: str
    tier: int
    layer: str
    role: str
    reading_time: int
    track: str
    labs: list[str]
    view: bytes
    ancestors: bytes
    descendants: bytes
    ancestry: bytes


# stored by column, pages in reading order, neighbours by their place in it: 10,000 pages
# decode in a few hundredths of a second
_TEXT_COLUMNS = ("src_path", "title", "summary", "layer", "role", "track")
_NUMBER_COLUMNS = ("tier", "reading_time")
_DIGEST = 16  # bytes of each digest (keys._hash)


@dataclass
class StoredGraph:
    """The last build's graph (model.Neighbourhood), acyclic: only acyclic graphs render.
    Neighbours are kept by their place in the reading order."""

    inputs: str  # the input digest of the build that stored it (EditBasis.graph)
    site: bytes  # keys.site_digest
    order: list[Slug]  # reading order
    pages: dict[Slug, StoredPage]
    up: list[list[int]]  # each page's prerequisites, as graph.prerequisites lists them
    next: list[list[int]]  # each page's graph.next_topics
    labs: dict[str, dict[str, str]]  # declared labs (graph/labs.yml)
    paths: list[dict[str, Any]]  # curated paths (checks.check_paths)
    tracks: dict[str, dict[str, str]]  # declared tracks (model.Curriculum.tracks)
    families: list[dict[str, str]]  # the family table (render.family_rows)
    family: bytes  # its digest (keys.family_digest)
    rank: dict[Slug, int] = field(default_factory=dict)
    _down: list[list[int]] = field(default_factory=list)  # each page's dependents
    _bits: tuple[list[int], list[int]] | None = None  # ancestor and descendant bitsets

    def __post_init__(self) -> None:
        self.rank = {slug: i for i, slug in enumerate(self.order)}
        self._down = [[] for _ in self.order]
        for i, up in enumerate(self.up):  # in reading order, so each list is too
            if up and max(up) >= i:
                raise ValueError("the order is not a reading order")
            for j in up:
                self._down[j].append(i)

    def prerequisites(self, slug: Slug) -> list[Slug]:
        return self._slugs(self.up[self.rank[slug]])

    def derived(self, slug: Slug) -> list[Slug]:
        return self._slugs(self._down[self.rank[slug]])

    def next_topics(self, slug: Slug) -> list[Slug]:
        return self._slugs(self.next[self.rank[slug]])

    def ancestors(self, slug: Slug) -> list[Slug]:
        return self._slugs(members(self._closures()[0][self.rank[slug]]))

    def descendants(self, slug: Slug) -> list[Slug]:
        return self._slugs(members(self._closures()[1][self.rank[slug]]))

    def _slugs(self, places: Iterable[int]) -> list[Slug]:
        order = self.order
        return [order[i] for i in places]

    def _closures(self) -> tuple[list[int], list[int]]:
        if self._bits is None:
            n = len(self.order)
            self._bits = (closure_bits(self.up, range(n)),
                          closure_bits(self._down, range(n - 1, -1, -1)))
        return self._bits

    def in_order(self, slugs: Iterable[Slug]) -> list[Slug]:
        return sorted(slugs, key=self.rank.__getitem__)

    def write(self, path: Path) -> None:
        pages = [self.pages[slug] for slug in self.order]
        columns: dict[str, Any] = {name: [getattr(p, name) for p in pages]
                                   for name in (*_TEXT_COLUMNS, *_NUMBER_COLUMNS)}
        columns["prerequisites"] = self.up
        columns["next"] = self.next
        columns["labs"] = [p.labs for p in pages]
        columns["digests"] = b"".join(p.view + p.ancestors + p.descendants + p.ancestry
                                      for p in pages).hex()
        data = {"format": FORMAT, "inputs": self.inputs, "site": self.site.hex(),
                "order": self.order, "labs": self.labs, "paths": self.paths,
                "tracks": self.tracks, "families": self.families, "family": self.family.hex(),
                "pages": columns}
        replace_file(path, orjson.dumps(data))

    @classmethod
    def read(cls, path: Path, inputs: str) -> StoredGraph | None:
        """The stored graph if the build whose input digest is ``inputs`` stored it."""
        try:
            raw = orjson.loads(path.read_bytes())
            if not inputs or raw.get("format") != FORMAT or raw.get("inputs") != inputs:
                return None
            order = raw["order"]
            columns = raw["pages"]
            n = len(order)
            _check(order, n, str)
            if len(set(order)) != n:
                return None
            for name in _TEXT_COLUMNS:
                _check(columns[name], n, str)
            for name in _NUMBER_COLUMNS:
                _check(columns[name], n, int)
            up, next_topics = (_places(columns[name], n) for name in ("prerequisites", "next"))
            labs = columns["labs"]
            _check(labs, n, list)
            for row in labs:
                _check(row, len(row), str)
            digests = bytes.fromhex(columns["digests"])
            if len(digests) != 4 * _DIGEST * n:
                return None
            pages = {}
            for i, (slug, src, title, summary, layer, role, track, tier, minutes) in enumerate(
                    zip(order, *(columns[name] for name in (*_TEXT_COLUMNS, *_NUMBER_COLUMNS)),
                        strict=True)):
                at = 4 * _DIGEST * i
                pages[slug] = StoredPage(
                    slug, src, title, summary, tier, layer, role, minutes, track, labs[i],
                    digests[at:at + _DIGEST], digests[at + _DIGEST:at + 2 * _DIGEST],
                    digests[at + 2 * _DIGEST:at + 3 * _DIGEST],
                    digests[at + 3 * _DIGEST:at + 4 * _DIGEST])
            families = [{_str(k): _str(v) for k, v in row.items()} for row in raw["families"]]
            return cls(inputs, bytes.fromhex(raw["site"]), order, pages, up, next_topics,
                       _table(raw["labs"]), list(raw["paths"]), _table(raw["tracks"]),
                       families, bytes.fromhex(raw["family"]))
        except (OSError, ValueError, TypeError, KeyError, AttributeError, IndexError):
            return None

    @classmethod
    def of(cls, graph: Graph, keys: RenderKeys, labs: Mapping[str, Mapping[str, str]],
           paths: list[dict[str, Any]], tracks: Mapping[str, Mapping[str, str]]
           ) -> StoredGraph:
        """What a full build stores of an acyclic graph (inputs filled in by the build)."""
        from .render import family_rows

        rank = graph.rank
        pages = {}
        for slug, page in graph.pages.items():
            pages[slug] = StoredPage(
                slug, page.src_path, page.title, page.summary, page.tier, page.layer,
                page.role, page.reading_time, page.track, [ref.slug for ref in page.labs],
                bytes.fromhex(keys.view[slug]), keys.ancestors[slug],
                keys.descendants[slug], keys.ancestry[slug])
        up = [[rank[p] for p in graph.prerequisites(slug)] for slug in graph.order]
        next_topics = [[rank[p] for p in graph.next_topics(slug)] for slug in graph.order]
        return cls("", keys.site, list(graph.order), pages, up, next_topics,
                   {k: dict(v) for k, v in labs.items()}, paths,
                   {k: dict(v) for k, v in tracks.items()},
                   family_rows(graph.pages.values()), keys.family)


def _check(column: Any, n: int, kind: type) -> None:
    """``column`` is a list of ``n`` values of exactly the type ``kind``."""
    if not isinstance(column, list) or len(column) != n or (
            column and set(map(type, column)) != {kind}):
        raise TypeError(column)


def _places(column: Any, n: int) -> list[list[int]]:
    """Each page's list of pages by place in the reading order, checked to be places."""
    _check(column, n, list)
    rows: list[list[int]] = column
    for row in rows:  # min() of a list with text raises; a float fails the type check
        if row and (set(map(type, row)) != {int} or min(row) < 0 or max(row) >= n):
            raise TypeError(row)
    return rows


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _table(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, dict):
        raise TypeError(value)
    return {_str(k): {_str(a): _str(b) for a, b in v.items()} for k, v in value.items()}
