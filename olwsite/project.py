"""Where a project's folders are. The project root holds mkdocs.yml and content/."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONTENT_DIR = "content"
GRAPH_DIR = "graph"
TEMPLATES_DIR = "templates"
CACHE_DIR = ".olwsite-cache"
VERIFY_CACHE = "verify.json"  # under CACHE_DIR
PAGE_MEMO = "pages.json"  # under CACHE_DIR
EDIT_BASIS = "basis.json"  # under CACHE_DIR
TOPIC_CONTEXTS = "contexts.bin"  # under CACHE_DIR
STORED_GRAPH = "graph.json"  # under CACHE_DIR
DEFAULT_DOCS_DIR = "docs"

_DOCS_DIR_RE = re.compile(r"^docs_dir:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(?:#.*)?$", re.MULTILINE)


class ProjectError(Exception):
    """The project itself is unusable (bad usage, not a content problem): exit 2."""


@dataclass(frozen=True)
class Project:
    root: Path
    docs_dir_name: str

    @property
    def content_dir(self) -> Path:
        return self.root / CONTENT_DIR

    @property
    def graph_dir(self) -> Path:
        return self.root / GRAPH_DIR

    @property
    def templates_dir(self) -> Path:
        return self.root / TEMPLATES_DIR

    @property
    def docs_dir(self) -> Path:
        return self.root / self.docs_dir_name

    @property
    def cache_dir(self) -> Path:
        return self.root / CACHE_DIR


def find_project(start: Path) -> Project:
    """The nearest folder at or above ``start`` holding mkdocs.yml and content/."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "mkdocs.yml").is_file() and (folder / CONTENT_DIR).is_dir():
            return Project(folder, _docs_dir_name(folder / "mkdocs.yml"))
    raise ProjectError(
        f"no olwsite project at or above {start}: expected mkdocs.yml and a content/ folder"
    )


def _docs_dir_name(mkdocs_yml: Path) -> str:
    # mkdocs.yml may hold Python-tag values (!!python/name) that a safe YAML loader refuses,
    # so the one key needed is read as text.
    match = _DOCS_DIR_RE.search(mkdocs_yml.read_text(encoding="utf-8"))
    name = match.group(1).strip() if match else DEFAULT_DOCS_DIR
    if name in ("", ".", CONTENT_DIR, GRAPH_DIR, TEMPLATES_DIR) or ".." in Path(name).parts:
        raise ProjectError(
            f"mkdocs.yml: docs_dir '{name}' must be a folder of its own that olwsite generates"
        )
    return name
