"""`olwsite build` as one call, shared by the command line and the MkDocs plugin: check,
render what changed, write it, and record the manifest for the next build.

Three paths, fastest first: nothing changed since the last build (repeat its report;
the pipeline is not even imported); some inputs changed (run the pipeline, render only
outputs whose render key changed, write only those); no usable manifest (full build).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import collector
from .diagnostics import Diagnostic, Severity
from .progress import Progress
from .project import EDIT_BASIS, STORED_GRAPH, TOPIC_CONTEXTS, Project
from .state import (
    FileStamp,
    Manifest,
    forget_manifest,
    input_digest,
    intact_keys,
    read_manifest,
    site_intact,
    stamp,
    write_manifest,
)
from .write import OWNER_MARK, WriteStats, ensure_owned, write_cache, write_site

if TYPE_CHECKING:
    from .pipeline import BuildResult


@dataclass
class Built:
    diagnostics: list[Diagnostic]
    stats: dict[str, int]  # pages, edges, claims, pages_verified, pages_cached
    failed: bool  # errors (or warnings under strict): nothing was written
    up_to_date: bool = False  # no input changed: nothing was run or written
    # pages rebuilt without the full pipeline (edit.py): their bodies changed, or also
    # what others show of them (front_edits), but not the graph
    body_edits: int = 0
    front_edits: bool = False
    written: WriteStats = field(default_factory=WriteStats)
    seconds: float = 0.0
    result: BuildResult | None = None


def edit_note(built: Built) -> str:
    """What an edit-path build rebuilt, for the command line and the server's log."""
    n = built.body_edits
    pages = f"{n} page{'s' * (n != 1)}"
    if not n:
        return ""
    return f"only {pages} changed, not the graph" if built.front_edits else (
        f"only the bodies of {pages} changed")


def failed(diagnostics: list[Diagnostic], strict: bool) -> bool:
    return any(d.effective_severity == Severity.ERROR
               or (strict and d.effective_severity == Severity.WARNING) for d in diagnostics)


def last_state(project: Project, today: dt.date) -> tuple[Manifest, str, dict[str, FileStamp]]:
    """The last successful build's manifest, and the digest and stamps of the inputs now
    (state.input_digest): where the digests are equal, no input changed since, and the
    manifest's diagnostics are what checking now would find."""
    manifest = read_manifest(project)
    inputs, files = input_digest(project, today, manifest.files)
    return manifest, inputs, files


def build(project: Project, *, strict: bool = False, progress: Progress | None = None,
          today: dt.date | None = None) -> Built:
    """Raises ProjectError for a docs folder olwsite does not own."""
    ensure_owned(project)  # refuse before doing any work
    today = today or dt.date.today()
    manifest, inputs, files = last_state(project, today)
    if (inputs and manifest.inputs == inputs
            and site_intact(project, manifest, frozenset({OWNER_MARK}))):
        return Built(manifest.diagnostics, manifest.stats,
                     failed(manifest.diagnostics, strict), up_to_date=True)

    with collector.paused():  # through the write stage too
        if inputs:
            from .edit import build_edits  # imports what an edit needs, no more

            edited = build_edits(project, manifest, inputs, files, strict, today)
            if edited is not None:
                return edited
        return _build(project, manifest, inputs, files, strict, progress, today)


def _write_edit_basis(project: Project, result: BuildResult, inputs: str,
                      today: dt.date) -> None:
    """The topic contexts (those rendered now, the rest kept from the last build) and the
    edit basis, which a later edit to bodies alone builds from (edit.py)."""
    from .contexts import Contexts, write_contexts
    from .state import base_digest

    basis_path = project.cache_dir / EDIT_BASIS
    graph_path = project.cache_dir / STORED_GRAPH
    for path in (basis_path, graph_path):
        path.unlink(missing_ok=True)  # neither may outlive the manifest it belongs to
    basis = result.basis
    if basis is None or not inputs:
        return
    contexts_path = project.cache_dir / TOPIC_CONTEXTS
    contexts = dict(result.contexts)
    kept = {slug: key for slug, key in basis.context_keys().items() if slug not in contexts}
    contexts.update(Contexts(contexts_path).blobs(kept))
    write_contexts(contexts_path, contexts)
    basis.inputs, basis.base = inputs, base_digest(project, today)
    if result.stored_graph is not None:
        result.stored_graph.inputs = basis.graph = inputs
        result.stored_graph.write(graph_path)
    basis.write(basis_path)


def _build(project: Project, manifest: Manifest, inputs: str, files: dict[str, FileStamp],
           strict: bool, progress: Progress | None, today: dt.date) -> Built:
    from .pipeline import run  # imports networkx, jinja2 and the verifier: ~0.5 s

    result = run(project, progress=progress, today=today,
                 reuse=intact_keys(project, manifest))
    s = result.stats
    stats = {"pages": s.pages, "edges": s.edges, "claims": s.claims,
             "pages_verified": s.pages_verified, "pages_cached": s.pages_cached}
    built = Built(result.diagnostics, stats, failed(result.diagnostics, strict),
                  seconds=s.seconds, result=result)
    if built.failed:
        write_cache(project, None, result.memo)
        return built
    forget_manifest(project)
    built.written = write_site(project, result.outputs, keep=result.kept)
    write_cache(project, result.verify_cache if result.verify_cache_changed else None,
                result.memo)
    _write_edit_basis(project, result, inputs, today)
    outputs = {dest: manifest.outputs[dest] for dest in result.kept}
    docs = project.docs_dir
    for dest in result.outputs:
        outputs[dest] = (result.keys.get(dest, ""), *stamp(f"{docs}/{dest}"))
    write_manifest(project, Manifest(inputs, files, outputs, result.diagnostics, stats))
    return built
