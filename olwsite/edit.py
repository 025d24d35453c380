"""The edit path: build (or check) after edits to existing pages that leave the graph as
it was, in time proportional to what the edit reaches rather than to the curriculum.

Most edits change prose, a number, a check block, a title or a summary. When every
changed input is an existing page whose model is unchanged but for its title, summary
and body (keys.shape_digest: its slug, prerequisites, tier, reading time, … and the
positions its diagnostics are reported at), the graph and what its checks find are as
they were. Then:

- the edited pages' own diagnostics (front-matter, body, verifier) are found again and
  patched into the last build's report (its manifest and edit basis, basis.py);
- a *body edit* (front-matter byte-identical) changes only the page's own topic page and
  the site's count of claims on the home page: its topic page is rendered from the
  context the last full build stored (contexts.py);
- an edit to *what others show* of a page (its title or summary) also changes the pages
  that list it: its neighbours' topic pages, the "before you start" pages of its
  ancestors and descendants, its track's index, its labs' and curated paths' pages and
  the atlas. Those are rendered from the graph the last full build stored
  (stored_graph.py), with the same functions the full build uses, and their render keys
  are recomputed from the stored digests (keys.py).

Anything else (a file added, removed or renamed, a prerequisite, a tier or a reading
time changed, graph/ or templates/ edited, a family page's title, the family table,
stored state missing or damaged, a generated file touched by hand) returns None, and
the caller runs the full pipeline. Tests compare this path's site and report with a
full build's. Networkx and the other pages' text are never loaded here.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from . import verify
from .atlas import ATLAS_DATA, ATLAS_PAGE, href
from .basis import EditBasis, PageBasis
from .contexts import Contexts, encode_context, update_contexts
from .diagnostics import Diagnostic
from .keys import (
    atlas_key,
    before_key,
    context_key,
    merkle,
    order_digest,
    shape_digest,
    topic_key,
    verdict_key,
    view_digest,
)
from .load import read_page
from .memo import PageMemo
from .model import Curriculum, Page, typed_page
from .paths import DestPath, Slug, SrcPath
from .project import EDIT_BASIS, STORED_GRAPH, TOPIC_CONTEXTS, Project
from .render import (
    BeforePages,
    Views,
    before_dest,
    curated_paths,
    family_table_text,
    home_text,
    lab_page,
    make_environment,
    render_body,
    topic_context,
    topic_dest,
    topic_text,
    track_page,
)
from .scan import body_diagnostics, page_claims, scanned, verdict_diagnostics
from .state import (
    FileStamp,
    Manifest,
    base_digest,
    forget_manifest,
    site_intact,
    stamp,
    write_manifest,
)
from .write import OWNER_MARK, write_site

if TYPE_CHECKING:
    from .body import BodyParts
    from .build import Built
    from .stored_graph import StoredGraph


class _UnfitError(Exception):
    """Stored state that does not fit the edit: take the full build."""


_UNFIT = (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, _UnfitError)


@dataclass
class _EditedPage:
    page: Page
    parts: BodyParts
    basis: PageBasis  # the page's basis after the edit
    front_changed: bool
    shown_changed: bool  # what others show of it (keys.view_digest)


@dataclass
class _Rechecked:
    """The last build's report with the edited pages checked and verified again."""

    basis: EditBasis
    pages: dict[SrcPath, _EditedPage]
    diagnostics: list[Diagnostic]
    stats: dict[str, int]
    # by source path: the edited pages' and those verified alongside (check_edits' more)
    verdicts: dict[str, verify.PageVerdict]
    verify_entries: dict[str, Any]  # their verification cache entries
    started: float  # time.perf_counter() when this build or check began

    @property
    def front_changed(self) -> bool:
        return any(edited.front_changed for edited in self.pages.values())


@dataclass
class _Rendered:
    outputs: dict[DestPath, bytes]
    keys: dict[DestPath, str]  # new render keys, of outputs rendered or not
    contexts: dict[Slug, tuple[str, bytes]]  # new topic contexts (key, encoded)
    bases: dict[SrcPath, PageBasis]  # every page whose basis changed, edited or not
    graph: StoredGraph | None = None  # updated, where the edit changed it
    home: dict[str, Any] | None = None  # the home page's context, where it changed


def build_edits(project: Project, manifest: Manifest, inputs: str,
                files: dict[str, FileStamp], strict: bool, today: dt.date) -> Built | None:
    """``olwsite build`` after edits to pages that leave the graph as it was: the build a
    full one would make, or None."""
    from .build import Built, failed

    shown = _ShownEdit(project, manifest)
    # a generated file touched by hand takes the full build, which restores it
    checked = check_edits(project, manifest, files, today,
                          lambda: site_intact(project, manifest, frozenset({OWNER_MARK})),
                          shown.prepare)
    if checked is None:
        return None
    rendered = (shown.render(checked) if checked.front_changed
                else _render_bodies(project, checked, manifest))
    if rendered is None:
        return None
    built = Built(checked.diagnostics, checked.stats, failed(checked.diagnostics, strict),
                  body_edits=len(checked.pages), front_edits=checked.front_changed)
    if built.failed:
        built.seconds = time.perf_counter() - checked.started
        return built
    forget_manifest(project)
    built.written = write_site(project, rendered.outputs,
                               keep=set(manifest.outputs) - set(rendered.outputs),
                               only_known=True)  # site_intact held
    _write_state(project, checked, rendered, inputs)
    recorded = dict(manifest.outputs)
    for dest, key in rendered.keys.items():
        recorded[dest] = (key, *recorded[dest][1:])
    for dest in rendered.outputs:
        recorded[dest] = (rendered.keys.get(dest, recorded[dest][0]),
                          *stamp(project.docs_dir / dest))
    write_manifest(project, Manifest(inputs, files, recorded, checked.diagnostics,
                                     checked.stats))
    built.seconds = time.perf_counter() - checked.started
    return built


def _write_state(project: Project, checked: _Rechecked, rendered: _Rendered,
                 inputs: str) -> None:
    """The edit basis, and the stored contexts and graph where they changed, for the
    next edit."""
    cache = project.cache_dir
    basis = checked.basis
    basis.inputs = inputs
    for src, page_basis in rendered.bases.items():
        basis.set_page(src, page_basis)
    if rendered.home is not None:
        basis.home = rendered.home
    if rendered.graph is not None:
        rendered.graph.inputs = basis.graph = inputs
        rendered.graph.write(cache / STORED_GRAPH)
    if rendered.contexts:
        update_contexts(cache / TOPIC_CONTEXTS, rendered.contexts)
    basis.write(cache / EDIT_BASIS)


def check_edits(project: Project, manifest: Manifest, files: dict[str, FileStamp],
                today: dt.date, also: Callable[[], bool] = lambda: True,
                more: Callable[[dict[SrcPath, _EditedPage], EditBasis],
                               dict[SrcPath, verify.PageClaims] | None] | None = None
                ) -> _Rechecked | None:
    """``olwsite check`` after edits to pages that leave the graph as it was: the report a
    full check would give. None unless the edits qualify and ``also()`` holds, which is
    asked last, before verifying: a stat of every output costs more than rereading the
    edited pages. ``more`` names unedited pages to verify alongside (None: none will do),
    whose verdicts come back with the edited pages' but count nowhere."""
    started = time.perf_counter()
    basis = EditBasis.read(project.cache_dir / EDIT_BASIS)
    if (basis is None or not manifest.inputs or basis.inputs != manifest.inputs
            or files.keys() != manifest.files.keys()
            or basis.base != base_digest(project, today)):
        return None
    changed = [SrcPath(rel) for rel, st in files.items() if manifest.files[rel][2] != st[2]]
    before: dict[SrcPath, PageBasis] = {}
    pages: dict[SrcPath, _EditedPage] = {}
    curriculum = Curriculum(layers=tuple(basis.layers))
    for src in changed:
        recorded = basis.page(src)
        edited = _reread(project, src, recorded, curriculum, basis) if recorded else None
        if recorded is None or edited is None:
            return None  # something other than a page's title, summary or body changed
        before[src], pages[src] = recorded, edited
    if not pages or not also():
        return None
    extra = more(pages, basis) if more else {}
    if extra is None:
        return None

    claims = {src: page_claims(edited.parts, edited.page.body_first_line)
              for src, edited in pages.items()
              if edited.parts.check_fences or edited.parts.inline}
    # Verified afresh, without the cache (10-25 MB at 10,000 topics): a page whose claims
    # are as they were gets the verdict it had, which a full build would take from the
    # cache, so it counts as cached. The cache is not written: the next full build
    # verifies the edited pages again.
    with verify.Verifier(basis.facts, {}, jobs=1) as verifier:
        for src, c in (*claims.items(), *extra.items()):
            verifier.submit(src, c)
        verdicts, entries, _ = verifier.finish()
    verified = sum(str(entries.get(src, {}).get("digest", "")) != before[src].verify_key
                   or not before[src].verify_key for src in claims)

    removed: Counter[Diagnostic] = Counter()
    added: list[Diagnostic] = []
    for src, edited in pages.items():
        removed.update(before[src].problems + before[src].front_problems)
        verdict = verdicts.get(src)
        edited.basis.problems += verdict_diagnostics(src, verdict) if verdict else []
        edited.basis.claims = len(verdict.records) if verdict else 0
        edited.basis.submitted = verdict is not None
        edited.basis.verify_key = str(entries.get(src, {}).get("digest", ""))
        added += edited.basis.problems + edited.basis.front_problems
    diagnostics = []
    for d in manifest.diagnostics:
        if removed[d]:
            removed[d] -= 1
        else:
            diagnostics.append(d)
    diagnostics = sorted(diagnostics + added, key=Diagnostic.sort_key)

    stats = dict(manifest.stats)
    new = [edited.basis for edited in pages.values()]
    stats["claims"] += sum(p.claims for p in new) - sum(p.claims for p in before.values())
    submitted = (stats["pages_verified"] + stats["pages_cached"]
                 + sum(p.submitted for p in new) - sum(p.submitted for p in before.values()))
    stats["pages_verified"] = verified
    stats["pages_cached"] = submitted - verified
    return _Rechecked(basis, pages, diagnostics, stats, verdicts, entries, started)


def _reread(project: Project, src: SrcPath, before: PageBasis, curriculum: Curriculum,
            basis: EditBasis) -> _EditedPage | None:
    """The edited page, or None if the edit reaches beyond its title, summary and body."""
    read = _read(project, src, curriculum)
    if read is None:
        return None
    page, front_problems = read
    view = view_digest(page).hex()
    shown_changed = view != before.view
    if shape_digest(page) != before.shape or (shown_changed and page.family):
        return None  # the graph, a check or the family table may change
    parts, math = scanned(PageMemo(), page.digest, page.body)
    if parts.family_table_lines:
        return None  # the table shows every family: a full build renders it
    sources = basis.stored.keys()
    problems = body_diagnostics(src, page.body_first_line, parts, math, sources)
    after = replace(before, front=page.front_digest, view=view, claims=0, submitted=False,
                    verify_key="", problems=problems, front_problems=front_problems)
    return _EditedPage(page, parts, after, page.front_digest != before.front, shown_changed)


def _read(project: Project, src: SrcPath, curriculum: Curriculum
          ) -> tuple[Page, list[Diagnostic]] | None:
    """A page's model and the problems in its front-matter, as a full build finds them."""
    raw, problems = read_page(project.root / src, src)
    if raw is None:
        return None
    page = typed_page(raw, curriculum, problems)
    return (page, problems) if page is not None else None


def _render_bodies(project: Project, checked: _Rechecked, manifest: Manifest
                   ) -> _Rendered | None:
    """After edits to bodies alone: the edited pages' topic pages, from their stored
    contexts, and the home page if the count of claims changed. None where a stored
    context is missing."""
    env = make_environment(jinja2.FileSystemLoader(project.templates_dir))
    contexts = Contexts(project.cache_dir / TOPIC_CONTEXTS)
    done = _Rendered({}, {}, {}, {src: e.basis for src, e in checked.pages.items()})
    try:
        template = env.get_template("topic.md.j2")
        for src, edited in checked.pages.items():
            context = contexts.get(edited.basis.slug, edited.basis.context)
            dest = topic_dest(edited.page)
            if context is None or dest not in manifest.outputs:
                return None
            verdict = checked.verdicts.get(src)
            body = render_body(edited.page, edited.parts, verdict, _no_table)
            done.outputs[dest] = topic_text(template, context, body, verdict).encode()
            done.keys[dest] = topic_key(
                bytes.fromhex(edited.basis.context), edited.page.digest, verdict,
                verdict_key(checked.verify_entries.get(src)), b"")
        if checked.stats["claims"] != manifest.stats.get("claims"):
            if checked.basis.home is None:
                return None
            done.outputs[DestPath("index.md")] = home_text(
                env, checked.basis.home, checked.stats["claims"]).encode()
    except _UNFIT:
        return None  # a stored context that does not fit: the full build finds out why
    return done


class _ShownEdit:
    """One build after edits to front-matter that leave the graph as it was: every
    output that shows an edited page, rendered from the stored graph, with the render
    keys a full build would record."""

    def __init__(self, project: Project, manifest: Manifest) -> None:
        self.project, self.manifest = project, manifest
        self.env = make_environment(jinja2.FileSystemLoader(project.templates_dir))
        self.shown: set[Slug] = set()  # slugs of pages whose view changed
        self.old_titles: dict[Slug, str] = {}  # their titles before the edit
        # the unedited pages that list an edited one, read again to render them
        self.unedited: dict[SrcPath, tuple[Page, BodyParts]] = {}

    def prepare(self, pages: dict[SrcPath, _EditedPage], basis: EditBasis
                ) -> dict[SrcPath, verify.PageClaims] | None:
        """Before verifying: the stored graph updated with the edits, and the claims of
        the unedited pages whose topic pages show an edited one; None where stored state
        is missing or does not fit."""
        if not any(edited.front_changed for edited in pages.values()):
            return {}  # a body edit: _render_bodies
        from .stored_graph import StoredGraph  # not imported for a body edit

        graph = StoredGraph.read(self.project.cache_dir / STORED_GRAPH, basis.graph)
        if graph is None:
            return None
        self.graph, self.views, self.basis = graph, Views(graph.pages), basis
        self.done = _Rendered({}, {}, {}, {}, graph)
        try:
            for src, edited in pages.items():
                page, stored = edited.page, graph.pages.get(edited.page.slug)
                if stored is None or stored.src_path != src:
                    return None
                self.old_titles[page.slug] = stored.title
                stored.title, stored.summary = page.title, page.summary
                stored.view = bytes.fromhex(edited.basis.view)
                if edited.shown_changed:
                    self.shown.add(page.slug)
            neighbours = {graph.pages[n].src_path for s in self.shown
                          for n in (*graph.prerequisites(s), *graph.derived(s))}
            return self._read_unedited(neighbours - pages.keys())
        except _UNFIT:
            return None

    def render(self, checked: _Rechecked) -> _Rendered | None:
        self.checked = checked
        graph = self.graph
        try:
            above = {a for s in self.shown for a in graph.ancestors(s)}
            below = {d for s in self.shown for d in graph.descendants(s)}
            self._update_digests(above, below)
            self._topic_pages()
            self._before_pages(above | below | self.shown)
            self._site_pages()
        except _UNFIT:
            return None  # the full build renders it, or finds out why not
        return self.done

    def _update_digests(self, above: set[Slug], below: set[Slug]) -> None:
        """The ancestor digests below the edited pages and the descendant digests above
        them, bottom-up as keys.render_keys builds them."""
        pages = self.graph.pages
        for slug in self.graph.in_order(below | self.shown):
            pages[slug].ancestors = merkle(pages[slug].view, (
                pages[p].ancestors for p in self.graph.prerequisites(slug)))
        for slug in reversed(self.graph.in_order(above | self.shown)):
            pages[slug].descendants = merkle(pages[slug].view, (
                pages[d].descendants for d in self.graph.derived(slug)))

    def _topic_pages(self) -> None:
        """The edited pages' topic pages and those of the pages that list them."""
        graph, checked = self.graph, self.checked
        todo = {src: (e.page, e.parts) for src, e in checked.pages.items()}
        todo.update(self.unedited)
        template = self.env.get_template("topic.md.j2")
        tracks = list(graph.tracks)
        for src, (page, parts) in todo.items():
            verdict = checked.verdicts.get(src)
            named = verdict_key(checked.verify_entries.get(src))
            dest = topic_dest(page)
            if dest not in self.manifest.outputs:
                raise _UnfitError(dest)
            context = topic_context(graph, graph.labs, tracks, page, dest, self.views,
                                    graph.ancestors(page.slug), self._linker(dest))
            body = render_body(page, parts, verdict, self._family_table(dest))
            self.done.outputs[dest] = topic_text(template, context, body, verdict).encode()
            key = self._context_key(page)
            self.done.keys[dest] = topic_key(key, page.digest, verdict, named,
                                             graph.family if parts.family_table_lines else b"")
            encoded = encode_context(context)
            if encoded:
                self.done.contexts[page.slug] = key.hex(), encoded
            edited = checked.pages.get(src)
            page_basis = edited.basis if edited else checked.basis.page(src)
            if page_basis is None:
                raise _UnfitError(src)
            self.done.bases[src] = replace(page_basis, context=key.hex())

    def _family_table(self, dest: DestPath) -> Callable[[], str]:
        return lambda: family_table_text(self.graph.families, dest)

    def _linker(self, dest: DestPath) -> Callable[[Slug], str]:
        pages = self.graph.pages
        return lambda slug: href(dest, topic_dest(pages[slug]))

    def _read_unedited(self, sources: Iterable[SrcPath]
                       ) -> dict[SrcPath, verify.PageClaims] | None:
        """Pages that list an edited one, unchanged themselves, read and scanned to render
        them again; their claims, which are verified with the edited pages'."""
        curriculum = Curriculum(layers=tuple(self.basis.layers))
        claims = {}
        for src in sorted(sources):
            read = _read(self.project, src, curriculum)
            if read is None:
                return None
            page = read[0]
            parts, _ = scanned(PageMemo(), page.digest, page.body)
            self.unedited[src] = page, parts
            if parts.check_fences or parts.inline:
                claims[src] = page_claims(parts, page.body_first_line)
        return claims

    def _context_key(self, page: Page) -> bytes:
        graph = self.graph
        stored = graph.pages[page.slug]
        return context_key(graph.site, page.front_digest, stored.view, stored.ancestry,
                           (graph.pages[s].view for s in graph.prerequisites(page.slug)),
                           (graph.pages[s].view for s in graph.derived(page.slug)),
                           (graph.pages[s].view for s in graph.next_topics(page.slug)))

    def _before_pages(self, slugs: set[Slug]) -> None:
        graph = self.graph
        order = order_digest(graph.order)
        befores = BeforePages(self.env, self.views)
        for slug in graph.in_order(slugs):
            dest = before_dest(slug)
            if dest not in self.manifest.outputs:
                raise _UnfitError(dest)
            self.done.outputs[dest] = befores.text(slug, graph.ancestors(slug),
                                                   graph.descendants(slug)).encode()
            stored = graph.pages[slug]
            self.done.keys[dest] = before_key(graph.site, stored.ancestors,
                                              stored.descendants, order)

    def _site_pages(self) -> None:
        """Track indexes, lab pages, curated paths, the home page and the atlas."""
        graph, env, out = self.graph, self.env, self.done.outputs
        shown = [graph.pages[s] for s in graph.in_order(self.shown)]
        curriculum = Curriculum(tracks=graph.tracks)
        for track in dict.fromkeys(p.track for p in shown):
            dest, text = track_page(env, self.views, curriculum, track,
                                    [graph.pages[s] for s in graph.order
                                     if graph.pages[s].track == track])
            out[dest] = text.encode()
        for lab in dict.fromkeys(lab for p in shown for lab in p.labs if lab in graph.labs):
            dest, text = lab_page(env, self.views, lab, graph.labs[lab],
                                  [s for s in graph.order if lab in graph.pages[s].labs])
            out[dest] = text.encode()
        home = self.checked.basis.home
        if home is None:
            raise _UnfitError("home")
        if any(s in path["topics"] for path in graph.paths for s in self.shown):
            out[DestPath("paths.md")] = env.get_template("paths.md.j2").render(
                paths=curated_paths(graph.paths, graph.pages, DestPath("paths.md"))).encode()
            home = self.done.home = {**home, "paths": curated_paths(
                graph.paths, graph.pages, DestPath("index.md"))}
        if self.done.home is not None or (self.checked.stats["claims"]
                                          != self.manifest.stats.get("claims")):
            out[DestPath("index.md")] = home_text(env, home,
                                                  self.checked.stats["claims"]).encode()
        if self.shown:
            if not {ATLAS_DATA, ATLAS_PAGE} <= self.manifest.outputs.keys():
                raise _UnfitError(ATLAS_DATA)
            atlas = _atlas_with_titles(self.project.docs_dir / ATLAS_DATA, graph,
                                       self.old_titles)
            if atlas is not None:
                out[ATLAS_DATA] = atlas
            key = atlas_key(graph.site, order_digest(graph.order),
                            (graph.pages[s].ancestors for s in graph.order))
            self.done.keys[ATLAS_DATA] = self.done.keys[ATLAS_PAGE] = key


def _atlas_with_titles(path: Path, graph: StoredGraph, titles: dict[Slug, str]
                       ) -> bytes | None:
    """The atlas data (atlas.atlas_data, compact JSON) with the pages whose title was
    ``titles[slug]`` showing their title now; None if no title changed. Each node starts
    with its slug and title, so it is edited in place: decoding and encoding the
    10,000 nodes would cost more than the rest of the edit. Raises _UnfitError where the
    file does not hold a node exactly once."""
    changed = {slug: old for slug, old in titles.items() if graph.pages[slug].title != old}
    if not changed:
        return None
    data = path.read_text(encoding="utf-8")
    for slug, old in changed.items():
        node = '{"slug":' + _json(slug) + ',"title":'
        before, after = node + _json(old) + ",", node + _json(graph.pages[slug].title) + ","
        if data.count(node) != 1 or data.count(before) != 1:
            raise _UnfitError(path)
        data = data.replace(before, after)
    return data.encode()


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _no_table() -> str:
    raise AssertionError("a page with a family table takes a full build")
