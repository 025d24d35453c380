"""The command line: the only module that prints and chooses exit codes.

Exit codes (contract): 0 success, 1 content errors (or warnings with --strict),
2 bad usage or an unusable project.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from . import __version__
from .build import build, edit_note, failed, last_state
from .diagnostics import Diagnostic, Severity
from .paths import Slug
from .progress import Bar
from .project import Project, ProjectError, find_project
from .report import as_json, format_github, format_text, summary
from .scaffold import KINDS, scaffold
from .schema import json_schema
from .write import write_cache

if TYPE_CHECKING:
    from .graph import Graph

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="olwsite", description="Build and check an olwsite curriculum.")
    parser.add_argument("--version", action="version", version=f"olwsite {__version__}")
    parser.add_argument("-C", "--project", type=Path, default=Path("."),
                        help="project folder (default: the current folder or a parent)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    build = sub.add_parser("build", help="check the content and generate the docs folder")
    build.add_argument("--strict", action="store_true", help="fail on warnings too")
    build.add_argument("--quiet", action="store_true", help="print only problems")

    check = sub.add_parser("check", help="check the content; write nothing")
    check.add_argument("--format", choices=("text", "json", "github"), default="text")
    check.add_argument("--strict", action="store_true", help="fail on warnings too")

    graph = sub.add_parser("graph", help="print the prerequisite graph")
    graph.add_argument("--format", choices=("json", "graphml", "dot"), default="json")

    path = sub.add_parser("path", help="reading order to reach a topic")
    path.add_argument("slug")

    new = sub.add_parser("new", help="start a page from the scaffold")
    new.add_argument("kind", choices=KINDS)
    new.add_argument("name", help='the page name, e.g. "Phi-4"')
    new.add_argument("--track", help="track folder for a topic (default: foundations)")

    sub.add_parser("schema", help="print the front-matter JSON Schema")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None,
         err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors end here
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command == "schema":  # the schema needs no project
        print(json.dumps(json_schema(), indent=2), file=out)
        return EXIT_OK
    try:
        project = find_project(args.project)
        if args.command == "build":
            return _build(project, args.strict, args.quiet, out, err)
        if args.command == "check":
            return _check(project, args.format, args.strict, out, err)
        if args.command == "graph":
            return _graph(project, args.format, out, err)
        if args.command == "new":
            return _new(project, args.kind, args.name, args.track, out)
        return _path(project, Slug(args.slug), out, err)
    except ProjectError as exc:
        print(f"olwsite: error: {exc}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("olwsite: interrupted; nothing was written", file=err)
        return 130


def _build(project: Project, strict: bool, quiet: bool, out: TextIO, err: TextIO) -> int:
    built = build(project, strict=strict,
                  progress=Bar() if err.isatty() and not quiet else None)
    for diag in built.diagnostics:
        print(format_text(diag), file=err)
    if built.failed:
        print(f"olwsite: build failed: {summary(built.diagnostics)}; "
              f"{project.docs_dir_name}/ left as it was", file=err)
        return EXIT_CONTENT
    if quiet:
        return EXIT_OK
    s = built.stats
    if built.up_to_date:
        print(f"{project.docs_dir_name}/ is up to date: no input changed since the last "
              f"build ({s['pages']} pages, {s['edges']} edges, {s['claims']} claims; "
              f"{summary(built.diagnostics)})", file=out)
        return EXIT_OK
    w = built.written
    how = edit_note(built) + "; " if built.body_edits else ""
    print(f"built {s['pages']} pages, {s['edges']} edges, {s['claims']} claims "
          f"({how}{s['pages_verified']} pages verified, {s['pages_cached']} cached) → "
          f"{project.docs_dir_name}/: {w.written} written, {w.unchanged} unchanged, "
          f"{w.removed} removed; {summary(built.diagnostics)} in {built.seconds:.2f} s",
          file=out)
    return EXIT_OK


def _check(project: Project, fmt: str, strict: bool, out: TextIO, err: TextIO) -> int:
    today = dt.date.today()
    manifest, inputs, files = last_state(project, today)
    if inputs and manifest.inputs == inputs:  # nothing changed since the last build
        _report_check(manifest.diagnostics, fmt, out, err, manifest.stats, "0 pages "
                      "verified: no input changed since the last build")
        return EXIT_CONTENT if failed(manifest.diagnostics, strict) else EXIT_OK
    if inputs:
        from .edit import check_edits

        edited = check_edits(project, manifest, files, today)
        if edited is not None:  # the graph is as it was: the last report, edits re-checked
            _report_check(edited.diagnostics, fmt, out, err, edited.stats,
                          f"{edited.stats['pages_verified']} pages verified, "
                          f"{len(edited.pages)} edited since the last build re-checked; "
                          f"{time.perf_counter() - edited.started:.2f} s")
            return EXIT_CONTENT if failed(edited.diagnostics, strict) else EXIT_OK

    from .pipeline import run

    result = run(project, render=False)
    s = result.stats
    _report_check(result.diagnostics, fmt, out, err,
                  {"pages": s.pages, "edges": s.edges, "claims": s.claims},
                  f"{s.pages_verified} pages verified, {s.pages_cached} cached; "
                  f"{s.seconds:.2f} s")
    # caches are not output: the verdicts are kept from a clean run, the page memo always
    keep = result.verify_cache_changed and not result.has_errors
    write_cache(project, result.verify_cache if keep else None, result.memo)
    return EXIT_CONTENT if failed(result.diagnostics, strict) else EXIT_OK


def _report_check(diagnostics: list[Diagnostic], fmt: str, out: TextIO, err: TextIO,
                  stats: dict[str, int], how: str) -> None:
    if fmt == "json":
        print(as_json(diagnostics), file=out)
    elif fmt == "github":
        for diag in diagnostics:
            print(format_github(diag), file=out)
    else:
        for diag in diagnostics:
            print(format_text(diag), file=err)
        print(f"checked {stats['pages']} pages, {stats['edges']} edges, {stats['claims']} "
              f"claims ({how}): {summary(diagnostics)}", file=out)


def _graph_or_fail(project: Project, err: TextIO) -> tuple[Graph | None, int]:
    from .pipeline import run

    result = run(project, render=False)
    graph = result.graph
    structural = [d for d in result.diagnostics
                  if d.effective_severity == Severity.ERROR and d.code[1] in "123"]
    if graph is None or not graph.acyclic or structural:
        for diag in structural:
            print(format_text(diag), file=err)
        print(f"olwsite: the graph has errors: {summary(structural)}", file=err)
        return None, EXIT_CONTENT
    return graph, EXIT_OK


def _graph(project: Project, fmt: str, out: TextIO, err: TextIO) -> int:
    import networkx as nx

    graph, code = _graph_or_fail(project, err)
    if graph is None:
        return code
    g = nx.DiGraph()
    for slug in graph.order:
        page = graph.pages[slug]
        g.add_node(slug, title=page.title, track=page.track, tier=page.tier, layer=page.layer,
                   role=page.role, reading_time=page.reading_time)
    for slug in graph.order:
        for prereq in graph.prerequisites(slug):
            g.add_edge(prereq, slug)
    if fmt == "json":
        data = nx.node_link_data(g, edges="links")
        print(json.dumps(data, indent=2, ensure_ascii=False), file=out)
    elif fmt == "graphml":
        for line in nx.generate_graphml(g):
            print(line, file=out)
    else:
        print("digraph curriculum {", file=out)
        print("  rankdir=LR;", file=out)
        for slug in graph.order:
            label = graph.pages[slug].title.replace("\\", "\\\\").replace('"', '\\"')
            print(f'  "{slug}" [label="{label}"];', file=out)
        for a, b in g.edges:
            print(f'  "{a}" -> "{b}";', file=out)
        print("}", file=out)
    return EXIT_OK


def _path(project: Project, slug: Slug, out: TextIO, err: TextIO) -> int:
    from .render import minutes

    graph, code = _graph_or_fail(project, err)
    if graph is None:
        return code
    if slug not in graph.pages:
        close = difflib.get_close_matches(slug, list(graph.pages), n=1)
        tip = f"; did you mean '{close[0]}'?" if close else ""
        print(f"olwsite: error: no topic '{slug}'{tip}", file=err)
        return EXIT_USAGE
    steps = graph.path_to(slug)
    width = max(len(s) for s in steps)
    total = 0
    for index, step in enumerate(steps, 1):
        page = graph.pages[step]
        total += page.reading_time
        print(f"{index:>3}. {step:<{width}}  {page.reading_time:>3} min  {page.title}", file=out)
    print(f"{len(steps)} pages, {minutes(total)} of reading", file=out)
    return EXIT_OK


def _new(project: Project, kind: str, name: str, track: str | None, out: TextIO) -> int:
    path, text = scaffold(project, kind, name, track, dt.date.today())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as handle:  # never overwrite
            handle.write(text)
    except FileExistsError:
        raise ProjectError(f"{path.relative_to(project.root)} already exists") from None
    print(path.relative_to(project.root).as_posix(), file=out)
    return EXIT_OK


def entry() -> None:
    sys.exit(main())
