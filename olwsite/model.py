"""The model stage: raw front-matter -> typed pages, each problem at its key's line."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .diagnostics import Diagnostic
from .load import Loaded, RawPage
from .paths import Slug, SrcPath, is_valid_slug
from .schema import DEFAULT_LAYERS, FAMILY_FIELDS, PAGE_FIELDS, Field
from .yamlpos import Pos, YamlDoc

WORDS_PER_MINUTE = 200
RESERVED_SLUGS = frozenset({"index", "before", "labs", "reference", "assets", "atlas"})
FACT_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Ref:
    """A slug as written in front-matter, with where it was written."""

    slug: Slug
    line: int
    col: int


@dataclass(frozen=True)
class Fact:
    name: str
    value: str  # check-language literal text, e.g. '80 GiB' or '70B'
    src_path: SrcPath
    line: int
    col: int


@dataclass(frozen=True)
class Family:
    name: str
    org: str
    released: dt.date | None
    years: str
    sizes: str
    architecture: str
    context: str
    license: str
    notable: str
    facts: tuple[Fact, ...]


@dataclass
class Page:
    slug: Slug
    src_path: SrcPath
    title: str
    summary: str
    track: str
    tier: int
    layer: str
    role: str
    reading_time: int
    prerequisites: tuple[Ref, ...]
    next: tuple[Ref, ...]
    last_reviewed: dt.date | None
    labs: tuple[Ref, ...]
    tags: tuple[str, ...]
    family: Family | None
    body: str
    body_first_line: int
    digest: str  # of the page's text
    front_digest: str  # of its text up to the body
    front: YamlDoc = field(repr=False)

    def pos(self, *path: str | int) -> Pos:
        return self.front.pos(*path)


class Shown(Protocol):
    """What other pages show of a page (render._page_view): a Page, or the last build's
    record of one (stored_graph.StoredPage)."""

    @property
    def slug(self) -> Slug: ...
    @property
    def src_path(self) -> SrcPath: ...
    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def tier(self) -> int: ...
    @property
    def layer(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def reading_time(self) -> int: ...
    @property
    def track(self) -> str: ...


class Neighbourhood(Protocol):
    """The relations a topic page and a "before you start" page are rendered from: the
    graph (graph.Graph), or the last build's record of it (stored_graph.StoredGraph)."""

    @property
    def pages(self) -> Mapping[Slug, Shown]: ...
    def prerequisites(self, slug: Slug) -> list[Slug]: ...
    def derived(self, slug: Slug) -> list[Slug]: ...
    def next_topics(self, slug: Slug) -> list[Slug]: ...
    def ancestors(self, slug: Slug) -> list[Slug]: ...
    def descendants(self, slug: Slug) -> list[Slug]: ...


@dataclass
class Curriculum:
    """Curriculum-wide settings from graph/curriculum.yml."""

    title: str = "Open-weight language models"
    tracks: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {title, summary}
    layers: tuple[str, ...] = DEFAULT_LAYERS
    review_max_age_days: int = 365


def build_model(loaded: Loaded) -> tuple[list[Page], Curriculum, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    curriculum = _curriculum(loaded, diags)
    pages = []
    for raw in loaded.pages:
        page = typed_page(raw, curriculum, diags)
        if page is not None:
            pages.append(page)
    return pages, curriculum, diags


def _curriculum(loaded: Loaded, diags: list[Diagnostic]) -> Curriculum:
    doc = loaded.data.get("curriculum.yml")
    cur = Curriculum()
    if doc is None:
        return cur
    src = SrcPath("graph/curriculum.yml")
    value = doc.value
    if not isinstance(value, dict):
        diags.append(Diagnostic("E110", "expected a mapping with 'tracks:'", src))
        return cur
    if isinstance(value.get("title"), str):
        cur.title = value["title"]
    tracks = value.get("tracks", [])
    if not isinstance(tracks, list):
        p = doc.pos("tracks")
        diags.append(Diagnostic("E110", "'tracks' must be a list", src, p.line, p.col))
        tracks = []
    for index, track in enumerate(tracks):
        if not isinstance(track, dict) or not isinstance(track.get("id"), str):
            p = doc.pos("tracks", index)
            diags.append(Diagnostic(
                "E110", "each track needs an 'id' (and 'title', 'summary')", src, p.line, p.col))
            continue
        cur.tracks[track["id"]] = {
            "title": str(track.get("title", track["id"])),
            "summary": str(track.get("summary", "")),
        }
    layers = value.get("layers")
    if isinstance(layers, list) and layers:
        cur.layers = tuple(str(x) for x in layers)
    age = value.get("review_max_age_days")
    if isinstance(age, int) and not isinstance(age, bool) and age > 0:
        cur.review_max_age_days = age
    return cur


class _Reader:
    """Reads typed values from one YAML mapping, reporting problems at their lines."""

    def __init__(self, raw: RawPage, diags: list[Diagnostic]) -> None:
        self.raw = raw
        self.diags = diags

    def problem(self, code: str, message: str, pos: Pos, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, message, self.raw.src_path, pos.line, pos.col,
                                     hint=hint))

    def check_keys(self, mapping: dict[str, Any], fields: tuple[Field, ...],
                   path: tuple[str, ...]) -> None:
        known = [f.name for f in fields]
        for key in mapping:
            if key not in known:
                close = difflib.get_close_matches(str(key), known, n=1)
                hint = f"did you mean '{close[0]}'?" if close else (
                    "known keys: " + ", ".join(known))
                where = " in '" + ".".join(path) + "'" if path else ""
                self.problem("W201", f"unknown key '{key}'{where}",
                             self.raw.front.pos(*path, key), hint)
        for f in fields:
            if f.required and f.name not in mapping:
                where = "'" + ".".join(path) + "'" if path else "front-matter"
                self.problem("E201", f"{where} has no '{f.name}'", self.raw.front.pos(*path))

    def text(self, mapping: dict[str, Any], path: tuple[str, ...], default: str = "") -> str:
        value = mapping.get(path[-1])
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # 'context: 128' or 'sizes: 70' are plain text too
        if not isinstance(value, str):
            self._wrong(path, value, "a text value")
            return default
        return value.strip()

    def integer(self, mapping: dict[str, Any], path: tuple[str, ...], default: int) -> int:
        value = mapping.get(path[-1])
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self._wrong(path, value, "a whole number")
            return default
        return value

    def date(self, mapping: dict[str, Any], path: tuple[str, ...]) -> dt.date | None:
        value = mapping.get(path[-1])
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str) and ISO_DATE_RE.match(value.strip()):
            # quoted, "2024-12-12": a string to YAML, a date to editors' YAML 1.2 schema
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass  # 2024-02-30
        self._wrong(path, value, "a date written YYYY-MM-DD")
        return None

    def refs(self, mapping: dict[str, Any], path: tuple[str, ...]) -> tuple[Ref, ...]:
        value = mapping.get(path[-1])
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]  # a single slug is a list of one
        if not isinstance(value, list):
            self._wrong(path, value, "a list of slugs")
            return ()
        refs = []
        for index, item in enumerate(value):
            pos = self.raw.front.pos(*path, index)
            if not isinstance(item, str):
                self.problem("E202", f"'{path[-1]}' entry {index + 1} must be a slug, "
                             f"not {_kind(item)}", pos)
                continue
            refs.append(Ref(Slug(item.strip()), pos.line, pos.col))
        return tuple(refs)

    def _wrong(self, path: tuple[str, ...], value: Any, expected: str) -> None:
        self.problem("E202", f"'{'.'.join(path)}' must be {expected}, not {_kind(value)}",
                     self.raw.front.value_at(*path))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return "an empty value" if value is None else type(value).__name__


def typed_page(raw: RawPage, cur: Curriculum, diags: list[Diagnostic]) -> Page | None:
    """One page's model, its problems added to ``diags``; None if it has no mapping."""
    front = raw.front.value
    if front is None:
        diags.append(Diagnostic("E201", "front-matter is empty; 'title' is required",
                                raw.src_path, 2, 1))
        return None
    if not isinstance(front, dict):
        diags.append(Diagnostic("E107", f"front-matter is {_kind(front)}, not key: value lines",
                                raw.src_path, 2, 1))
        return None
    r = _Reader(raw, diags)
    r.check_keys(front, PAGE_FIELDS, ())
    if not is_valid_slug(raw.stem) or raw.stem in RESERVED_SLUGS:
        why = "is reserved for generated pages" if raw.stem in RESERVED_SLUGS else (
            "is not a valid slug")
        diags.append(Diagnostic("E203", f"'{raw.stem}' {why}", raw.src_path,
                                hint=_slug_hint(raw.stem)))
    title = r.text(front, ("title",))
    if "title" in front and not title and isinstance(front["title"], str | None):
        # an empty title; a title of the wrong type was reported above, once
        r.problem("E202", "'title' must not be empty", raw.front.value_at("title"))
    tier = r.integer(front, ("tier",), 2)
    if tier not in (1, 2, 3):
        r.problem("E205", f"tier {tier} is not one of 1, 2, 3", raw.front.value_at("tier"))
        tier = 2
    role = r.text(front, ("role",), "core")
    if role not in ("core", "frontier", "reference"):
        r.problem("E205", f"role '{role}' is not one of core, frontier, reference",
                  raw.front.value_at("role"))
        role = "core"
    layer = r.text(front, ("layer",), "1")
    if layer not in cur.layers:
        r.problem("E205", f"layer '{layer}' is not one of {', '.join(cur.layers)}",
                  raw.front.value_at("layer"))
    default_minutes = max(1, round(raw.words / WORDS_PER_MINUTE))
    reading_time = r.integer(front, ("reading_time",), default_minutes)
    if reading_time < 1:
        r.problem("E205", "'reading_time' must be at least 1 minute",
                  raw.front.value_at("reading_time"))
        reading_time = 1
    tags = tuple(ref.slug for ref in r.refs(front, ("tags",)))
    return Page(
        slug=Slug(raw.stem),
        src_path=raw.src_path,
        title=title or raw.stem,
        summary=r.text(front, ("summary",)),
        track=r.text(front, ("track",), raw.track_dir or "general"),
        tier=tier,
        layer=layer,
        role=role,
        reading_time=reading_time,
        prerequisites=r.refs(front, ("prerequisites",)),
        next=r.refs(front, ("next",)),
        last_reviewed=r.date(front, ("last_reviewed",)),
        labs=r.refs(front, ("labs",)),
        tags=tags,
        family=_family(r, front),
        body=raw.body,
        body_first_line=raw.body_first_line,
        digest=raw.digest,
        front_digest=raw.front_digest,
        front=raw.front,
    )


def _family(r: _Reader, front: dict[str, Any]) -> Family | None:
    value = front.get("family")
    if value is None:
        return None
    if not isinstance(value, dict):
        r._wrong(("family",), value, "a mapping (name:, sizes:, …)")
        return None
    r.check_keys(value, FAMILY_FIELDS, ("family",))
    released = r.date(value, ("family", "released"))
    facts = []
    raw_facts = value.get("facts") or {}
    if not isinstance(raw_facts, dict):
        r._wrong(("family", "facts"), raw_facts, "a mapping of names to numbers")
        raw_facts = {}
    for name, fact_value in raw_facts.items():
        pos = r.raw.front.value_at("family", "facts", name)
        if not FACT_NAME_RE.match(str(name)):
            r.problem("E205", f"fact name '{name}' must be lowercase letters, digits and _",
                      r.raw.front.pos("family", "facts", name))
            continue
        if isinstance(fact_value, bool) or not isinstance(fact_value, (str, int, float)):
            r._wrong(("family", "facts", name), fact_value, "a number such as 70B or '80 GiB'")
            continue
        facts.append(Fact(str(name), str(fact_value), r.raw.src_path, pos.line, pos.col))
    years = r.text(value, ("family", "years"), str(released.year) if released else "")
    return Family(
        name=r.text(value, ("family", "name")),
        org=r.text(value, ("family", "org")),
        released=released,
        years=years,
        sizes=r.text(value, ("family", "sizes")),
        architecture=r.text(value, ("family", "architecture")),
        context=r.text(value, ("family", "context")),
        license=r.text(value, ("family", "license")),
        notable=r.text(value, ("family", "notable")),
        facts=tuple(facts),
    )


def _slug_hint(stem: str) -> str:
    fixed = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return f"rename the file to '{fixed}.md'" if fixed else "rename the file to <slug>.md"
