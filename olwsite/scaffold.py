"""Scaffolding for `olwsite new`: a page's text from a template, at a path derived from
its name. Returns what to write; the CLI writes it (refusing to overwrite)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2

from .paths import Slug, is_valid_slug, slugify
from .project import Project, ProjectError
from .render import make_environment

KINDS = ("model", "topic")


def existing_slugs(project: Project) -> dict[str, Path]:
    return {p.stem: p for p in project.content_dir.rglob("*.md")}


def scaffold(project: Project, kind: str, name: str, track: str | None,
             today: dt.date) -> tuple[Path, str]:
    slug = slugify(name)
    if not slug or not is_valid_slug(slug):
        raise ProjectError(f"cannot derive a slug from {name!r}: use letters and digits")
    taken = existing_slugs(project)
    if slug in taken:
        where = taken[slug].relative_to(project.root).as_posix()
        raise ProjectError(f"a page with slug '{slug}' already exists: {where}")
    folder = "models" if kind == "model" else (track or "foundations")
    if not is_valid_slug(folder):
        raise ProjectError(f"track '{folder}' must be lowercase letters, digits and hyphens")
    env = make_environment(jinja2.FileSystemLoader(project.templates_dir))
    try:
        template = env.get_template(f"new-{kind}.md.j2")
    except jinja2.TemplateNotFound:
        raise ProjectError(f"templates/new-{kind}.md.j2 is missing") from None
    text = template.render(title=name.replace('"', "'").strip(), today=today.isoformat(),
                           layer="4" if kind == "model" else "1",
                           fact_prefix=Slug(slug.replace("-", "_")))
    return project.content_dir / folder / f"{slug}.md", text
