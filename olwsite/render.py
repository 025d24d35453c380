"""The render stage: pages and graph -> {dest path: Markdown text}. Writes nothing.

Templates come from the project's templates/ folder. Page bodies are passed to templates
as finished text: content is data, never template source, so nothing a page says is
evaluated.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import posixpath
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jinja2

from . import collector
from .atlas import ATLAS_DATA, ATLAS_PAGE, atlas_outputs, href, local_graph_svg
from .body import BodyParts, Fence
from .contexts import encode_context
from .diagnostics import REGISTRY
from .keys import RenderKeys
from .mathml import convert_math
from .model import Curriculum, Neighbourhood, Page, Shown
from .paths import DestPath, Slug, relative_link
from .progress import Progress, Silent
from .schema import PAGE_FIELDS, Field
from .verify import PageVerdict

if TYPE_CHECKING:  # networkx costs 0.2 s to import; a body edit never needs it
    from .graph import Graph

ROLE_LABELS = {"core": "Core", "frontier": "Frontier", "reference": "Reference"}
TIER_LABELS = {1: "Foundational", 2: "Core", 3: "Advanced"}


@dataclass
class SiteInput:
    graph: Graph
    curriculum: Curriculum
    parts: dict[Slug, BodyParts]
    verdicts: dict[Slug, PageVerdict]
    labs: dict[str, dict[str, Any]] = field(default_factory=dict)
    paths: list[dict[str, Any]] = field(default_factory=list)
    language_reference: str = ""  # the check-block language's function table, as Markdown


def topic_dest(page: Shown) -> DestPath:
    # Mirrors the page's place under content/, so relative links between content files
    # resolve unchanged in the generated folder.
    return DestPath(page.src_path.removeprefix("content/"))


def before_dest(slug: Slug) -> DestPath:
    return DestPath(f"before/{slug}.md")


def make_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,  # a template typo fails the build, loudly
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # output is Markdown; HTML contexts use the |e filter explicitly
    )
    env.filters["cell"] = table_cell
    env.filters["minutes"] = minutes
    return env


def table_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def minutes(total: int) -> str:
    if total < 60:
        return f"{total} min"
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


class Views:
    """Template views of pages, memoised per linking folder: a link depends only on the
    folder it is written from, and closures repeat the same pages thousands of times."""

    def __init__(self, pages: Mapping[Slug, Shown]) -> None:
        self.pages = pages
        self._cache: dict[tuple[str, Slug], dict[str, Any]] = {}

    def of(self, slug: Slug, from_dest: DestPath) -> dict[str, Any]:
        key = (posixpath.dirname(from_dest), slug)
        view = self._cache.get(key)
        if view is None:
            view = self._cache[key] = _page_view(self.pages[slug], _linker(from_dest))
        return view


@dataclass
class Rendered:
    outputs: dict[DestPath, bytes]  # rendered by this build, as UTF-8
    keys: dict[DestPath, str]  # key of each keyed output (per topic, atlas): rendered or kept
    kept: set[DestPath]  # keyed outputs whose key is unchanged: left as they are
    # each rendered topic page's context, encoded (contexts.py)
    contexts: dict[Slug, bytes] = field(default_factory=dict)
    home: dict[str, Any] = field(default_factory=dict)  # the home page's, but its claims


class BeforePages:
    """"Before you start" pages: each lists a page's ancestors and descendants, one row per
    page and list kind, rendered once and reused by every list that holds the page."""

    def __init__(self, env: jinja2.Environment, views: Views) -> None:
        self.views = views
        self.template = env.get_template("before.md.j2")
        self.row_template = env.get_template("before-row.md.j2")
        self.rows: dict[tuple[Slug, bool], str] = {}

    def rows_of(self, slugs: list[Slug], checkbox: bool) -> str:
        rows = self.rows
        return "\n".join([rows.get((s, checkbox)) or self.row(s, checkbox) for s in slugs])

    def row(self, s: Slug, checkbox: bool) -> str:
        text = self.rows.get((s, checkbox))
        if text is None:
            # every before page sits at the same depth, so one URL serves them all
            url = href(DestPath("before/x.md"), topic_dest(self.views.pages[s]))
            text = self.rows[s, checkbox] = self.row_template.render(
                p=self.views.of(s, DestPath("before/x.md")), url=url,
                checkbox=checkbox).rstrip()
        return text

    def text(self, slug: Slug, ancestors: list[Slug], descendants: list[Slug]) -> str:
        pages = self.views.pages
        bdest = before_dest(slug)
        return self.template.render(
            page=self.views.of(slug, bdest),
            url=href(bdest, topic_dest(pages[slug])),
            count=len(ancestors),
            checklist=self.rows_of(ancestors, True),
            total=sum(pages[s].reading_time for s in ancestors) + pages[slug].reading_time,
            leads_to=self.rows_of(descendants, False),
        )


class _TopicRenderer:
    """Renders topic pages and "before you start" pages, one slug at a time."""

    def __init__(self, site: SiteInput, env: jinja2.Environment) -> None:
        self.site, self.graph = site, site.graph
        self.views = Views(site.graph.pages)
        self.topic = env.get_template("topic.md.j2")
        self.befores = BeforePages(env, self.views)
        # a page's topic and before pages are rendered one after the other: both need its
        # ancestors, and its local graph links every neighbour from one folder
        self.last_ancestors: tuple[Slug, list[Slug]] | None = None
        self.hrefs: dict[tuple[str, Slug], str] = {}

    def ancestors(self, slug: Slug) -> list[Slug]:
        if self.last_ancestors is None or self.last_ancestors[0] != slug:
            self.last_ancestors = slug, self.graph.ancestors(slug)
        return self.last_ancestors[1]

    def href(self, from_dest: DestPath, slug: Slug) -> str:
        key = (posixpath.dirname(from_dest), slug)
        url = self.hrefs.get(key)
        if url is None:
            url = self.hrefs[key] = href(from_dest, topic_dest(self.graph.pages[slug]))
        return url

    def topic_page(self, slug: Slug) -> tuple[bytes, bytes]:
        """The page as UTF-8, and its context (see contexts.py) for a later body edit."""
        page = self.graph.pages[slug]
        dest = topic_dest(page)
        context = topic_context(
            self.graph, self.site.labs, list(self.site.curriculum.tracks), page, dest,
            self.views, self.ancestors(slug) if self.graph.acyclic else [],
            lambda s: self.href(dest, s))
        verdict = self.site.verdicts.get(slug)
        body = render_body(page, self.site.parts[slug], verdict,
                           lambda: family_table(self.site, dest))
        return (topic_text(self.topic, context, body, verdict).encode(),
                encode_context(context))

    def before_page(self, slug: Slug) -> str:
        return self.befores.text(slug, self.ancestors(slug), self.graph.descendants(slug))

    def render(self, todo: list[tuple[Slug, bool]]) -> list[tuple[bytes, bytes | None]]:
        """(slug, is topic page) -> (UTF-8 text, the topic page's context), in order.
        Bytes, not text: most pages hold a character beyond Latin-1, which makes a str
        twice the size, and the build only writes them."""
        return [self.topic_page(s) if is_topic else (self.before_page(s).encode(), None)
                for s, is_topic in todo]


_WORKER: list[_TopicRenderer] = []  # a forked render worker's renderer, set on start


def _adopt(renderer: _TopicRenderer) -> None:
    _WORKER[:] = [renderer]  # forked: the parent's renderer, not a pickled copy
    collector.adopt_in_worker()


def _render_in_worker(todo: list[tuple[Slug, bool]]) -> list[tuple[bytes, bytes | None]]:
    return _WORKER[0].render(todo)


PARALLEL_FROM = 300  # outputs to render before forking pays off (fork + transfer ~0.2 s)


def _render_topics(renderer: _TopicRenderer, todo: list[tuple[Slug, bool]], jobs: int,
                   progress: Progress | None) -> list[tuple[bytes, bytes | None]]:
    """Texts of ``todo``, rendered by ``jobs`` forked processes where that is safe (on
    Linux, from a process without threads: not under `mkdocs serve`)."""
    # many small chunks, dealt out in order: a pool balances them and keeps their order
    chunks = [todo[i:i + 100] for i in range(0, len(todo), 100)]
    track = (progress or Silent()).track
    if (jobs < 2 or len(todo) < PARALLEL_FROM or not sys.platform.startswith("linux")
            or threading.active_count() > 1):
        texts = (text for chunk in chunks for text in renderer.render(chunk))
        return list(track(texts, "render", len(todo)))
    with mp.get_context("fork").Pool(jobs, initializer=_adopt, initargs=(renderer,)) as pool:
        texts = (text for done in pool.imap(_render_in_worker, chunks) for text in done)
        return list(track(texts, "render", len(todo)))


def render_site(site: SiteInput, env: jinja2.Environment,
                progress: Progress | None = None, keys: RenderKeys | None = None,
                reuse: Mapping[DestPath, str] | None = None, jobs: int = 1) -> Rendered:
    """Render the site. With ``keys``, a per-topic output whose key equals its entry in
    ``reuse`` (the last build's keys of outputs still intact on disk) is not rendered.
    Topic and before pages are rendered by ``jobs`` processes."""
    out: dict[DestPath, str] = {}  # the site-wide pages
    reuse = reuse or {}
    done = Rendered({}, {}, set())

    def wanted(dest: DestPath, key: str | None) -> bool:
        if key is None:
            return True
        done.keys[dest] = key
        if reuse.get(dest) == key:
            done.kept.add(dest)
            return False
        return True

    graph = site.graph
    views = Views(graph.pages)
    order = graph.order or sorted(graph.pages)
    todo: list[tuple[Slug, bool]] = []
    dests: list[DestPath] = []
    for slug in order:
        dest = topic_dest(graph.pages[slug])
        if wanted(dest, keys.topic[slug] if keys else None):
            todo.append((slug, True))
            dests.append(dest)
        bdest = before_dest(slug)
        if wanted(bdest, keys.before[slug] if keys else None):
            todo.append((slug, False))
            dests.append(bdest)
    rendered = _render_topics(_TopicRenderer(site, env), todo, jobs, progress)
    for dest, (slug, _), (text, context) in zip(dests, todo, rendered, strict=True):
        done.outputs[dest] = text
        if context is not None:
            done.contexts[slug] = context
    for track_id, pages in _tracks(site).items():
        out.update([track_page(env, views, site.curriculum, track_id, pages)])
    out[DestPath("families.md")] = env.get_template("families.md.j2").render(
        table=family_table(site, DestPath("families.md")))
    out[DestPath("paths.md")] = env.get_template("paths.md.j2").render(
        paths=curated_paths(site.paths, graph.pages, DestPath("paths.md")))
    out[DestPath("reference/diagnostics.md")] = env.get_template("diagnostics.md.j2").render(
        codes=sorted(REGISTRY.values(), key=lambda c: c.code))
    out[DestPath("reference/front-matter.md")] = env.get_template("front-matter.md.j2").render(
        fields=_field_rows(PAGE_FIELDS, ""), language=site.language_reference)
    for lab_id, lab in site.labs.items():
        users = [s for s in order if any(ref.slug == lab_id for ref in graph.pages[s].labs)]
        out.update([lab_page(env, views, lab_id, lab, users)])
    # static pages and assets are copied as they are: templates/site/<path> -> docs/<path>
    for name in env.list_templates(filter_func=lambda n: n.startswith("site/")):
        source = env.loader.get_source(env, name)[0] if env.loader else ""
        out[DestPath(name.removeprefix("site/"))] = source
    atlas_key = keys.atlas if keys else None
    if any([wanted(dest, atlas_key) for dest in (ATLAS_DATA, ATLAS_PAGE)]):  # both recorded
        done.kept.difference_update((ATLAS_DATA, ATLAS_PAGE))
        out.update(atlas_outputs(graph, lambda s: topic_dest(graph.pages[s]), env=env,
                                 tracks=site.curriculum.tracks))
    done.home = home_context(site)
    out[DestPath("index.md")] = home_text(
        env, done.home, sum(len(v.records) for v in site.verdicts.values()))
    done.outputs.update((dest, text.encode()) for dest, text in out.items())
    return done


def home_context(site: SiteInput) -> dict[str, Any]:
    """What the home page shows, but for the number of claims (see home_text)."""
    graph = site.graph
    link = _linker(DestPath("index.md"))
    return {
        "title": site.curriculum.title,
        "tracks": [
            {"title": site.curriculum.tracks.get(t, {}).get("title", t.title()),
             "summary": site.curriculum.tracks.get(t, {}).get("summary", ""),
             "link": link(DestPath(f"{t}/index.md")), "count": len(pages),
             "minutes": sum(p.reading_time for p in pages)}
            for t, pages in _tracks(site).items()],
        "paths": curated_paths(site.paths, graph.pages, DestPath("index.md")),
        "pages": len(graph.pages),
        "edges": graph.digraph.number_of_edges(),
        "families": len([p for p in graph.pages.values() if p.family]),
    }


def track_page(env: jinja2.Environment, views: Views, curriculum: Curriculum, track_id: str,
               pages: Sequence[Shown]) -> tuple[DestPath, str]:
    """A track's index: its pages in reading order."""
    dest = DestPath(f"{track_id}/index.md")
    meta = curriculum.tracks.get(track_id, {"title": track_id.title(), "summary": ""})
    return dest, env.get_template("track.md.j2").render(
        track=meta, pages=[views.of(p.slug, dest) for p in pages],
        total=sum(p.reading_time for p in pages))


def lab_page(env: jinja2.Environment, views: Views, lab_id: str, lab: Mapping[str, str],
             users: list[Slug]) -> tuple[DestPath, str]:
    """A lab's page, listing the pages that use it in reading order."""
    dest = DestPath(f"labs/{lab_id}.md")
    return dest, env.get_template("lab.md.j2").render(
        lab=lab, pages=[views.of(s, dest) for s in users])


def home_text(env: jinja2.Environment, context: Mapping[str, Any], claims: int) -> str:
    return env.get_template("home.md.j2").render(**context, claims=claims)


def topic_text(template: jinja2.Template, context: Mapping[str, Any], body: str,
               verdict: PageVerdict | None) -> str:
    """A topic page: its context (topic_context), its body (render_body) and verdict."""
    return template.render(**context, body=body,
                           claims=len(verdict.records) if verdict else 0)


def _linker(from_dest: DestPath) -> Callable[[DestPath], str]:
    return lambda to: relative_link(from_dest, to)


def _page_view(page: Shown, link: Callable[[DestPath], str]) -> dict[str, Any]:
    return {
        "slug": page.slug, "title": page.title, "summary": page.summary,
        "link": link(topic_dest(page)), "before": link(before_dest(page.slug)),
        "tier": page.tier, "layer": page.layer, "role": ROLE_LABELS[page.role],
        "minutes": page.reading_time, "track": page.track,
    }


def _tracks(site: SiteInput) -> dict[str, list[Page]]:
    graph = site.graph
    declared = list(site.curriculum.tracks)
    found: dict[str, list[Page]] = {t: [] for t in declared}
    for slug in graph.order or sorted(graph.pages):
        page = graph.pages[slug]
        found.setdefault(page.track, []).append(page)
    return {t: pages for t, pages in found.items() if pages}


def topic_context(graph: Neighbourhood, labs_declared: Mapping[str, Mapping[str, str]],
                  tracks: list[str], page: Page, dest: DestPath, views: Views,
                  ancestors: list[Slug], link_of: Callable[[Slug], str]) -> dict[str, Any]:
    """Everything a topic page is rendered from but its body and verdict: plain data
    (JSON), so that it can be stored for a later edit to the body alone."""
    link = _linker(dest)
    labs = []
    for ref in page.labs:
        lab = labs_declared.get(ref.slug)
        if lab:
            labs.append({**lab, "link": link(DestPath(f"labs/{ref.slug}.md"))})
    return {
        "page": views.of(page.slug, dest),
        "tier_label": TIER_LABELS[page.tier],
        "prerequisites": [views.of(s, dest) for s in graph.prerequisites(page.slug)],
        "derived": [views.of(s, dest) for s in graph.derived(page.slug)],
        "next": [views.of(s, dest) for s in graph.next_topics(page.slug)],
        "before_count": len(ancestors),
        "before_minutes": sum(graph.pages[s].reading_time for s in ancestors) + page.reading_time,
        "labs": labs,
        "local_graph": local_graph_svg(
            graph, page.slug, link_of, more_link=href(dest, before_dest(page.slug)),
            tracks=tracks),
        "last_reviewed": _date(page.last_reviewed),
        "src_path": page.src_path,
    }


def _date(value: dt.date | None) -> str:
    return f"{value:%B} {value.day}, {value.year}" if value else ""


def render_body(page: Page, parts: BodyParts, verdict: PageVerdict | None,
                table: Callable[[], str]) -> str:
    """The body with check blocks, inline numbers and the family table filled in."""
    lines = list(parts.lines)
    # inline numbers first: they never change the line count
    inline_text = list(verdict.inline) if verdict else []
    for span, text in sorted(zip(parts.inline, inline_text, strict=False),
                             key=lambda st: (st[0].line, -st[0].start)):
        line = lines[span.line]
        lines[span.line] = line[:span.start] + (text or "?") + line[span.end:]
    records = list(verdict.records) if verdict else []
    replacements: list[tuple[int, int, list[str]]] = []
    for fence in parts.check_fences:
        first = page.body_first_line + fence.start + 1
        last = page.body_first_line + fence.end - 1
        mine = [r for r in records if first <= r.line <= last]
        replacements.append((fence.start, fence.end, _claims_block(fence, mine)))
    for index in parts.family_table_lines:
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        replacements.append((index, index, [indent + row for row in table().split("\n")]))
    for start, end, new in sorted(replacements, reverse=True):
        lines[start:end + 1] = new
    # last, so numbers filled in above are typeset too; W601 is reported by the pipeline
    text, _problems = convert_math("\n".join(lines))
    return text.strip("\n")


def _claims_block(fence: Fence, records: list[Any]) -> list[str]:
    """A collapsed panel listing the block's verified claims with computed values."""
    ok = all(r.ok for r in records)
    count = f"{len(records)} claim{'' if len(records) == 1 else 's'}"
    kind = "success" if ok else "failure"
    text = "\n".join([f'??? {kind} "{count} verified at build time"', "    ```text",
                      *(f"    {r.shown}" for r in records), "    ```"])
    return [fence.indent + line if line else "" for line in text.rstrip("\n").split("\n")]


def family_table(site: SiteInput, dest: DestPath) -> str:
    return family_table_text(family_rows(site.graph.pages.values()), dest)


def family_rows(pages: Iterable[Page]) -> list[dict[str, str]]:
    """The family table's rows, by release date, each with its page's path ("dest")."""
    rows = []
    families = [p for p in pages if p.family]
    for page in sorted(families, key=lambda p: (p.family.released or dt.date.max,  # type: ignore[union-attr]
                                                 p.family.name)):  # type: ignore[union-attr]
        fam = page.family
        assert fam is not None
        rows.append({"name": fam.name or page.title, "dest": topic_dest(page),
                     "years": fam.years, "sizes": fam.sizes, "architecture": fam.architecture,
                     "context": fam.context, "license": fam.license, "notable": fam.notable})
    return rows


def family_table_text(rows: list[dict[str, str]], dest: DestPath) -> str:
    """The family table as linked from ``dest``."""
    link = _linker(dest)
    return site_env_table([{**row, "link": link(DestPath(row["dest"]))} for row in rows])


def site_env_table(rows: list[dict[str, str]]) -> str:
    head = ("| Family | Year | Sizes (B params; MoE active / total) | Architecture | Context "
            "| Licence | Notable |\n|---|---|---|---|---|---|---|")
    body = [
        f"| [{table_cell(r['name'])}]({r['link']}) | {table_cell(r['years'])} | "
        f"{table_cell(r['sizes'])} | {table_cell(r['architecture'])} | "
        f"{table_cell(r['context'])} | {table_cell(r['license'])} | {table_cell(r['notable'])} |"
        for r in rows
    ]
    return "\n".join([head, *body])


def curated_paths(paths: list[dict[str, Any]], by_slug: Mapping[Slug, Shown],
                  dest: DestPath) -> list[dict[str, Any]]:
    link = _linker(dest)
    out = []
    for path in paths:
        pages = [by_slug[s] for s in path["topics"]]
        out.append({**path, "pages": [_page_view(p, link) for p in pages],
                    "minutes": sum(p.reading_time for p in pages)})
    return out


def _field_rows(fields: tuple[Field, ...], prefix: str) -> list[dict[str, str]]:
    rows = []
    for f in fields:
        name = prefix + f.name
        kind = {"slugs": "list of slugs", "strings": "list of text", "facts":
                "mapping name → number", "enum": " | ".join(map(str, f.choices))}.get(f.kind,
                                                                                    f.kind)
        rows.append({"name": name, "kind": kind, "required": "yes" if f.required else "",
                     "default": f.default, "description": f.description})
        if f.fields:
            rows.extend(_field_rows(f.fields, name + "."))
    return rows
