"""Scaffolding for `olwsite new`: a page's text from a template, at a path derived from
its name. Returns what to write; the CLI writes it (refusing to overwrite).

A scaffolded page is valid as it stands (no error), writes out every front-matter key its
kind uses, and marks each thing left to fill with 'TODO', which `olwsite check` reports
as W202 at its line until it is replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from .paths import Slug, is_valid_slug, slugify
from .project import Project, ProjectError

KINDS = ("model", "topic")
DEFAULT_FOLDERS = {"model": "models", "topic": "foundations"}
LAYERS = {"model": "4", "topic": "1"}


def existing_slugs(project: Project) -> dict[str, Path]:
    return {p.stem: p for p in sorted(project.content_dir.rglob("*.md"))}


def declared_tracks(project: Project) -> list[str] | None:
    """Track ids declared in graph/curriculum.yml; None where the file declares none
    (or cannot be read: `olwsite check` reports that file's problems, not `new`)."""
    import yaml  # here: every command builds the parser that imports this module

    path = project.graph_dir / "curriculum.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    tracks = data.get("tracks") if isinstance(data, dict) else None
    if not isinstance(tracks, list):
        return None
    ids = [t["id"] for t in tracks if isinstance(t, dict) and isinstance(t.get("id"), str)]
    return ids or None


def fact_prefix(slug: str) -> str:
    """A fact-name prefix from a slug: 'phi-4' -> 'phi_4'; fact names start with a letter."""
    prefix = slug.replace("-", "_")
    return prefix if prefix[:1].isalpha() else f"model_{prefix}"


def scaffold(project: Project, kind: str, name: str, track: str | None,
             today: dt.date) -> tuple[Path, str]:
    # imported here, so that the command line starts without the template machinery
    import jinja2

    from .model import RESERVED_SLUGS
    from .render import make_environment

    if kind not in KINDS:
        raise ProjectError(f"unknown kind '{kind}': use one of {', '.join(KINDS)}")
    title = " ".join(name.split())
    slug = slugify(title)
    if not slug or not is_valid_slug(slug):
        raise ProjectError(f"cannot derive a slug from {name!r}: use letters and digits")
    if slug in RESERVED_SLUGS:
        raise ProjectError(f"the slug '{slug}' is reserved for generated pages: choose "
                           "another name")
    taken = existing_slugs(project)
    if slug in taken:
        where = taken[slug].relative_to(project.root).as_posix()
        raise ProjectError(f"a page with slug '{slug}' already exists: {where} "
                           "(slugs are unique across content/: edit that page, or choose "
                           "another name)")
    folder = track or DEFAULT_FOLDERS[kind]
    if not is_valid_slug(folder):
        raise ProjectError(f"track '{folder}' must be lowercase letters, digits and hyphens")
    tracks = declared_tracks(project)
    if tracks is not None and folder not in tracks:
        raise ProjectError(f"track '{folder}' is not declared in graph/curriculum.yml "
                           f"(declared: {', '.join(tracks)})")
    env = make_environment(jinja2.FileSystemLoader(project.templates_dir))
    try:
        template = env.get_template(f"new-{kind}.md.j2")
    except jinja2.TemplateNotFound:
        raise ProjectError(f"templates/new-{kind}.md.j2 is missing") from None
    text = template.render(
        title=title,
        # a YAML double-quoted scalar: JSON string syntax is valid YAML, and readable
        title_yaml=json.dumps(title, ensure_ascii=False),
        track=folder,
        today=today.isoformat(),
        year=today.year,
        layer=LAYERS[kind],
        fact_prefix=Slug(fact_prefix(slug)),
    )
    return project.content_dir / folder / f"{slug}.md", text
