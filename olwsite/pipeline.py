"""load → model → graph → check → verify → render: data flows one way, and nothing is
written here. ``write.py`` writes, and only when the result has no error."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import collector, verify
from .basis import EditBasis, PageBasis
from .body import BodyParts
from .checks import check_graph, check_paths
from .contexts import exactly_json
from .diagnostics import Diagnostic, Severity
from .graph import Graph, build_graph
from .keys import RenderKeys, render_keys, shape_digest, site_digest, verdict_key
from .load import Loaded, load_project
from .memo import MathProblem, PageMemo
from .model import Curriculum, Fact, Page, build_model
from .paths import DestPath, Slug, SrcPath
from .progress import Progress
from .project import Project
from .render import SiteInput, make_environment, render_site
from .scan import (
    body_diagnostics,
    known_claims,
    page_claims,
    scanned,
    verdict_diagnostics,
)
from .stored_graph import StoredGraph

FACTS_SRC = SrcPath("graph/facts.yml")


@dataclass
class BuildStats:
    pages: int = 0
    edges: int = 0
    claims: int = 0
    pages_verified: int = 0
    pages_cached: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class BuildResult:
    diagnostics: list[Diagnostic]
    stats: BuildStats
    graph: Graph | None = None
    outputs: dict[DestPath, bytes] = field(default_factory=dict)  # rendered now, as UTF-8
    keys: dict[DestPath, str] = field(default_factory=dict)  # render keys (see keys.py)
    kept: set[DestPath] = field(default_factory=set)  # unchanged since the last build
    verify_cache: dict[str, Any] = field(default_factory=dict)
    memo: PageMemo = field(default_factory=PageMemo)
    verify_cache_changed: bool = True
    # for a later edit to bodies alone (see basis.py and contexts.py): each rendered topic
    # page's context (slug -> (context key, encoded)), and the basis, less its digests
    # of the inputs, which the build fills in
    contexts: dict[Slug, tuple[str, bytes]] = field(default_factory=dict)
    basis: EditBasis | None = None
    stored_graph: StoredGraph | None = None  # for an edit to a title or summary

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.effective_severity == severity)

    @property
    def has_errors(self) -> bool:
        return self.count(Severity.ERROR) > 0


def run(project: Project, *, render: bool = True, today: dt.date | None = None,
        jobs: int = 2, progress: Progress | None = None,
        reuse: Mapping[DestPath, str] | None = None) -> BuildResult:
    """Check the project and, if ``render``, render the site. ``reuse`` maps outputs still
    intact from the last build to their render keys: those whose key is unchanged are
    left out of ``outputs`` and listed in ``kept``."""
    with collector.paused():
        return _run(project, render, today, jobs, progress, reuse)


def _run(project: Project, render: bool, today: dt.date | None, jobs: int,
         progress: Progress | None, reuse: Mapping[DestPath, str] | None) -> BuildResult:
    started = time.perf_counter()
    stats = BuildStats()
    timer = _Timer(stats)
    diags: list[Diagnostic] = []

    loaded, found = load_project(project, progress)
    diags += found
    timer.lap("load")
    pages, curriculum, modelled = build_model(loaded)
    diags += modelled
    front_problems: dict[str, list[Diagnostic]] = {}  # by path: a page's are its own
    for d in (*found, *modelled):
        front_problems.setdefault(d.path, []).append(d)
    timer.lap("model")
    graph, found = build_graph(pages)
    diags += found
    stats.pages, stats.edges = len(graph.pages), graph.digraph.number_of_edges()
    timer.lap("graph")
    labs = _labs(loaded, diags)
    facts = _facts(graph, loaded, diags)
    # Verification runs in worker processes while this one scans bodies and checks the
    # graph: each page goes to the verifier as soon as its claims are known.
    with verify.Verifier(facts, loaded.verify_cache, jobs=jobs) as verifier:
        parts, math = _scan_bodies(graph, loaded.memo, verifier)
        diags += check_graph(graph, curriculum,
                             set(labs) if "labs.yml" in loaded.data else None,
                             today or dt.date.today())
        verifier.pump()
        paths, found = check_paths(loaded.data.get("paths.yml"), graph)
        diags += found
        body_problems = _check_bodies(graph, parts, math)
        timer.lap("check")
        verdicts, cache, verdict_problems = _verdicts(graph, verifier, stats)
    for found in (*body_problems.values(), *verdict_problems.values()):
        diags += found
    timer.lap("verify")
    result = BuildResult(diags, stats, graph, verify_cache=cache, memo=loaded.memo,
                         verify_cache_changed=cache != loaded.verify_cache)
    if render and graph.acyclic and not result.has_errors:
        site = SiteInput(graph, curriculum, parts, verdicts, labs, paths,
                         verify.language_reference())
        env = make_environment(jinja2.FileSystemLoader(project.templates_dir))
        shared = site_digest(_tree_digest(project.templates_dir), asdict(curriculum), labs,
                             paths)
        keys = render_keys(graph, verdicts, shared,
                           (s for s, p in parts.items() if p.family_table_lines),
                           _verdict_keys(graph, cache))
        try:
            rendered = render_site(site, env, progress, keys, reuse, jobs)
            result.outputs, result.keys, result.kept = (rendered.outputs, rendered.keys,
                                                        rendered.kept)
            result.contexts = {slug: (keys.context[slug], blob)
                               for slug, blob in rendered.contexts.items()}
            result.basis = _edit_basis(graph, curriculum, verdicts, cache, facts,
                                       keys, rendered.home, front_problems, body_problems,
                                       verdict_problems)
            result.stored_graph = StoredGraph.of(graph, keys, labs, paths, curriculum.tracks)
        except jinja2.TemplateError as exc:
            result.diagnostics.append(_template_problem(exc))
        timer.lap("render")
    result.diagnostics.sort(key=Diagnostic.sort_key)
    stats.seconds = time.perf_counter() - started
    return result


def _edit_basis(graph: Graph, curriculum: Curriculum,
                verdicts: dict[Slug, verify.PageVerdict], cache: dict[str, Any],
                facts: dict[str, str], keys: RenderKeys, home: dict[str, Any],
                front_problems: dict[str, list[Diagnostic]],
                *problems: dict[Slug, list[Diagnostic]]) -> EditBasis:
    basis = EditBasis("", "", dict(facts), list(curriculum.layers),
                      home if exactly_json(home) else None)
    for slug, page in graph.pages.items():
        verdict = verdicts.get(slug)
        basis.set_page(page.src_path, PageBasis(
            slug, page.front_digest, keys.view[slug], keys.context[slug],
            len(verdict.records) if verdict else 0, verdict is not None,
            str(cache.get(page.src_path, {}).get("digest", "")),
            [d for found in problems for d in found.get(slug, ())], shape_digest(page),
            front_problems.get(page.src_path, [])))
    return basis


def _verdict_keys(graph: Graph, cache: dict[str, Any]) -> dict[Slug, str]:
    keys = {}
    for slug, page in graph.pages.items():
        key = verdict_key(cache.get(page.src_path))
        if key is not None:
            keys[slug] = key
    return keys


def _tree_digest(folder: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


class _Timer:
    def __init__(self, stats: BuildStats) -> None:
        self.stats = stats
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stats.stage_seconds[name] = now - self.last
        self.last = now


def _labs(loaded: Loaded, diags: list[Diagnostic]) -> dict[str, dict[str, Any]]:
    doc = loaded.data.get("labs.yml")
    if doc is None:
        return {}
    src = SrcPath("graph/labs.yml")
    labs: dict[str, dict[str, Any]] = {}
    entries = doc.value.get("labs") if isinstance(doc.value, dict) else None
    if not isinstance(entries, list):
        diags.append(Diagnostic("E110", "expected 'labs:' with a list of labs", src))
        return {}
    needed = ("id", "title", "script", "summary", "hardware", "time", "command", "smoke")
    for index, entry in enumerate(entries):
        missing = [k for k in needed if not isinstance(entry, dict) or not entry.get(k)]
        if missing:
            pos = doc.pos("labs", index)
            diags.append(Diagnostic("E110", f"lab entry lacks {', '.join(missing)}", src,
                                    pos.line, pos.col))
            continue
        labs[str(entry["id"])] = {k: str(entry[k]) for k in needed}
    return labs


def _scan_bodies(graph: Graph, memo: PageMemo, verifier: verify.Verifier
                 ) -> tuple[dict[Slug, BodyParts], dict[Slug, list[MathProblem]]]:
    """Each body's parts and math problems (see scan.py); each page's claims go to the
    verifier as soon as they are known."""
    parts: dict[Slug, BodyParts] = {}
    math: dict[Slug, list[MathProblem]] = {}
    for slug, page in graph.pages.items():
        parts[slug], math[slug] = scanned(memo, page.digest, page.body)
        _submit_claims(page, parts[slug], memo, verifier)
    return parts, math


def _submit_claims(page: Page, body: BodyParts, memo: PageMemo,
                   verifier: verify.Verifier) -> None:
    """Send the page's check blocks and inline numbers to the verifier. With their digest
    memoised, they are only assembled if the verification cache misses."""
    if not body.check_fences and not body.inline:
        return

    @functools.cache  # built at most once: for a new page's digest, for a cache miss
    def claims() -> verify.PageClaims:
        return page_claims(body, page.body_first_line)

    verifier.submit_known(page.src_path, *known_claims(memo, page.digest, claims), claims)


def _check_bodies(graph: Graph, parts: dict[Slug, BodyParts],
                  math: dict[Slug, list[MathProblem]]) -> dict[Slug, list[Diagnostic]]:
    """Each page's broken links, math problems and placeholders (scan.body_diagnostics)."""
    sources = {page.src_path for page in graph.pages.values()}
    return {slug: body_diagnostics(page.src_path, page.body_first_line, parts[slug],
                                   math[slug], sources)
            for slug, page in graph.pages.items()}


def _facts(graph: Graph, loaded: Loaded, diags: list[Diagnostic]) -> dict[str, str]:
    """Registry facts (graph/facts.yml) and model pages' family facts, by name."""
    found: list[Fact] = []
    doc = loaded.data.get("facts.yml")
    if doc is not None:
        entries = doc.value.get("facts") if isinstance(doc.value, dict) else None
        if not isinstance(entries, dict):
            diags.append(Diagnostic("E110", "expected 'facts:' mapping names to values",
                                    FACTS_SRC))
        else:
            for name, value in entries.items():
                pos = doc.pos("facts", name)
                text = value.get("value") if isinstance(value, dict) else value
                if isinstance(text, bool) or not isinstance(text, (str, int, float)):
                    diags.append(Diagnostic("E110", f"fact '{name}' needs a value",
                                            FACTS_SRC, pos.line, pos.col))
                    continue
                found.append(Fact(str(name), str(text), FACTS_SRC, pos.line, pos.col))
    for slug in sorted(graph.pages):
        family = graph.pages[slug].family
        if family:
            found.extend(family.facts)
    facts: dict[str, str] = {}
    origin: dict[str, Fact] = {}
    for fact in found:
        if fact.name in origin:
            first = origin[fact.name]
            diags.append(Diagnostic("E411", f"fact '{fact.name}' is already defined in "
                                    f"{first.src_path}:{first.line}", fact.src_path, fact.line,
                                    fact.col))
            continue
        problem = verify.check_fact(fact.value)
        if problem:
            diags.append(Diagnostic("E403", f"fact '{fact.name}': {problem}", fact.src_path,
                                    fact.line, fact.col))
            continue
        facts[fact.name] = fact.value
        origin[fact.name] = fact
    return facts


def _verdicts(graph: Graph, verifier: verify.Verifier, stats: BuildStats
              ) -> tuple[dict[Slug, verify.PageVerdict], dict[str, Any],
                         dict[Slug, list[Diagnostic]]]:
    """Wait for the verifier; verdicts by slug and each page's problems as diagnostics."""
    diags: dict[Slug, list[Diagnostic]] = {}
    verdicts_by_path, cache, vstats = verifier.finish()
    stats.pages_verified, stats.pages_cached = vstats.verified, vstats.cached
    stats.claims = vstats.claims
    verdicts: dict[Slug, verify.PageVerdict] = {}
    for slug, page in graph.pages.items():
        verdict = verdicts_by_path.get(page.src_path)
        if verdict is not None:
            verdicts[slug] = verdict
            diags[slug] = verdict_diagnostics(page.src_path, verdict)
    return verdicts, cache, diags


def _template_problem(exc: jinja2.TemplateError) -> Diagnostic:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return Diagnostic("E501", exc.message or "template syntax error",
                          SrcPath(f"templates/{exc.name}"), exc.lineno or 1, 1)
    return Diagnostic("E501", str(exc), SrcPath("templates"), 1, 1)


def page_list(graph: Graph) -> list[Page]:
    return [graph.pages[s] for s in (graph.order or sorted(graph.pages))]


__all__ = ["BuildResult", "BuildStats", "Curriculum", "page_list", "run"]
