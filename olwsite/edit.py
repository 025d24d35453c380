"""The body-edit path: build (or check) after edits that stay inside page bodies, in
time proportional to the edit rather than to the curriculum.

Most edits change prose, a number or a check block, and nothing other pages show. When
every changed input is an existing page whose front-matter is byte-identical and whose
view (title, reading time, …; keys.view_digest) is unchanged, nothing outside those
pages can change but their own topic pages, their body and verifier diagnostics, and the
site's count of claims on the home page (render.home_context). So this path reads only
the edited pages, scans and verifies them, renders their topic pages from the contexts
the last full build stored (contexts.py), and patches the last build's report (its
manifest and edit basis, basis.py). Anything else (a file added, removed or renamed,
front-matter, graph/ or templates/ edited, a page's view changed, its family table, a
stored context missing, a generated file touched by hand) returns None, and the caller
runs the full pipeline. Tests compare this path's site and report with a full build's.

Networkx, the graph and the other pages' text are never loaded here.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jinja2

from . import verify
from .basis import EditBasis, PageBasis
from .contexts import Contexts
from .diagnostics import Diagnostic
from .keys import topic_key, verdict_key, view_digest
from .load import read_page, read_verify_cache
from .memo import PageMemo
from .model import Curriculum, Page, typed_page
from .paths import DestPath, SrcPath
from .project import EDIT_BASIS, TOPIC_CONTEXTS, Project
from .render import home_text, make_environment, render_body, topic_dest, topic_text
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


@dataclass
class _EditedPage:
    page: Page
    parts: BodyParts
    basis: PageBasis  # the page's basis after the edit


@dataclass
class _Rechecked:
    """The last build's report with the edited pages checked and verified again."""

    basis: EditBasis
    pages: dict[SrcPath, _EditedPage]
    diagnostics: list[Diagnostic]
    stats: dict[str, int]
    verdicts: dict[str, verify.PageVerdict]  # by source path
    verify_entries: dict[str, Any]  # the edited pages' verification cache entries
    started: float  # time.perf_counter() when this build or check began


def build_body_edits(project: Project, manifest: Manifest, inputs: str,
                     files: dict[str, FileStamp], strict: bool, today: dt.date
                     ) -> Built | None:
    """``olwsite build`` after body edits: the build a full one would make, or None."""
    from .build import Built, failed

    # a generated file touched by hand takes the full build, which restores it
    checked = check_body_edits(project, manifest, files, today,
                       lambda: site_intact(project, manifest, frozenset({OWNER_MARK})))
    if checked is None:
        return None
    outputs = _render(project, checked, manifest)
    if outputs is None:
        return None
    built = Built(checked.diagnostics, checked.stats, failed(checked.diagnostics, strict),
                  body_edits=len(checked.pages))
    if built.failed:
        built.seconds = time.perf_counter() - checked.started
        return built
    forget_manifest(project)
    built.written = write_site(project, outputs, keep=set(manifest.outputs) - set(outputs),
                               only_known=True)  # site_intact held
    checked.basis.inputs = inputs
    for src, edited in checked.pages.items():
        checked.basis.set_page(src, edited.basis)
    checked.basis.write(project.cache_dir / EDIT_BASIS)
    keys = _topic_keys(checked)
    recorded = dict(manifest.outputs)
    for dest in outputs:
        recorded[dest] = (keys.get(dest, recorded[dest][0]), *stamp(project.docs_dir / dest))
    write_manifest(project, Manifest(inputs, files, recorded, checked.diagnostics,
                                     checked.stats))
    built.seconds = time.perf_counter() - checked.started
    return built


def _topic_keys(checked: _Rechecked) -> dict[DestPath, str]:
    """The render keys a full build gives the edited topic pages (keys.py)."""
    return {topic_dest(edited.page): topic_key(
                bytes.fromhex(edited.basis.context), edited.page.digest,
                checked.verdicts.get(src), verdict_key(checked.verify_entries.get(src)), b"")
            for src, edited in checked.pages.items()}


def check_body_edits(project: Project, manifest: Manifest, files: dict[str, FileStamp],
                     today: dt.date, also: Callable[[], bool] = lambda: True
                     ) -> _Rechecked | None:
    """``olwsite check`` after body edits: the report a full check would give. None unless
    only page bodies changed and ``also()`` holds, which is asked last, before verifying:
    a stat of every output costs more than rereading the edited pages."""
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
            return None  # something other than a page body changed
        before[src], pages[src] = recorded, edited
    if not pages or not also():
        return None

    claims = {src: page_claims(edited.parts, edited.page.body_first_line)
              for src, edited in pages.items()
              if edited.parts.check_fences or edited.parts.inline}
    # The cache (10-25 MB at 10,000 topics) is read only for a page whose claims are as
    # they were, since its verdict is then the one cached; and it is not written: the
    # next full build verifies the edited pages again.
    same = any(verify.key_digest(verify.claims_digest(c), verify.claim_names(c), basis.facts)
               == before[src].verify_key for src, c in claims.items())
    cache = read_verify_cache(project) if same else {}
    with verify.Verifier(basis.facts, cache, jobs=1) as verifier:
        for src, c in claims.items():
            verifier.submit(src, c)
        verdicts, entries, vstats = verifier.finish()

    removed: Counter[Diagnostic] = Counter()
    added: list[Diagnostic] = []
    for src, edited in pages.items():
        removed.update(before[src].problems)
        verdict = verdicts.get(src)
        edited.basis.problems += verdict_diagnostics(src, verdict) if verdict else []
        edited.basis.claims = len(verdict.records) if verdict else 0
        edited.basis.submitted = verdict is not None
        edited.basis.verify_key = str(entries.get(src, {}).get("digest", ""))
        added += edited.basis.problems
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
    stats["pages_verified"] = vstats.verified
    stats["pages_cached"] = submitted - vstats.verified
    return _Rechecked(basis, pages, diagnostics, stats, verdicts, entries, started)


def _reread(project: Project, src: SrcPath, before: PageBasis, curriculum: Curriculum,
            basis: EditBasis) -> _EditedPage | None:
    """The edited page, or None if the edit reaches beyond its body."""
    raw, _ = read_page(project.root / src, src)  # front-matter problems are as before
    if raw is None or raw.front_digest != before.front:
        return None
    model_problems: list[Diagnostic] = []
    page = typed_page(raw, curriculum, model_problems)  # as before, but for reading time
    if page is None or view_digest(page).hex() != before.view:
        return None
    parts, math = scanned(PageMemo(), page.digest, page.body)
    if parts.family_table_lines:
        return None  # the table shows every family: a full build renders it
    sources = basis.stored.keys()
    problems = body_diagnostics(src, page.body_first_line, parts, math, sources)
    after = PageBasis(before.slug, before.front, before.view, before.context, 0, False, "",
                      problems)
    return _EditedPage(page, parts, after)


def _render(project: Project, checked: _Rechecked, manifest: Manifest
            ) -> dict[DestPath, bytes] | None:
    """The edited pages' topic pages and, if the count of claims changed, the home page;
    None where a stored context is missing."""
    env = make_environment(jinja2.FileSystemLoader(project.templates_dir))
    contexts = Contexts(project.cache_dir / TOPIC_CONTEXTS)
    outputs: dict[DestPath, bytes] = {}
    try:
        template = env.get_template("topic.md.j2")
        for src, edited in checked.pages.items():
            context = contexts.get(edited.basis.slug, edited.basis.context)
            dest = topic_dest(edited.page)
            if context is None or dest not in manifest.outputs:
                return None
            verdict = checked.verdicts.get(src)
            body = render_body(edited.page, edited.parts, verdict, _no_table)
            outputs[dest] = topic_text(template, context, body, verdict).encode()
        if checked.stats["claims"] != manifest.stats.get("claims"):
            if checked.basis.home is None:
                return None
            outputs[DestPath("index.md")] = home_text(env, checked.basis.home,
                                                      checked.stats["claims"]).encode()
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError):
        return None  # a stored context that does not fit: the full build finds out why
    return outputs


def _no_table() -> str:
    raise AssertionError("a page with a family table takes a full build")
